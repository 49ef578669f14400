"""The papers the tabs cite, in full (the README's References section, and the page's References accordion).
No imports: the Chinese table (i18n_zh_words.py) and captions.py both read it."""

TITLE = "References: the papers the tabs cite"
TITLE_ZH = "参考文献：各页引用的论文"

INTRO = "The papers the tabs cite (section and equation numbers are the papers' own unless a tab says otherwise)."
INTRO_ZH = "各页引用的论文（除非页面另有说明，节号和式号均为论文自己的编号）。"

LIST = """
*Autoencoders.*

- G. E. Hinton, R. R. Salakhutdinov, *Reducing the dimensionality of data with neural networks*, Science 313, 2006.
- P. Vincent, H. Larochelle, Y. Bengio, P.-A. Manzagol, *Extracting and composing robust features with denoising autoencoders*, ICML 2008.
- S. Rifai, P. Vincent, X. Muller, X. Glorot, Y. Bengio, *Contractive auto-encoders*, ICML 2011.
- A. Makhzani, B. Frey, *k-Sparse autoencoders*, ICLR 2014.
- I. Goodfellow, Y. Bengio, A. Courville, *Deep Learning*, MIT Press 2016, ch. 14.

*VAE.*

- D. P. Kingma, M. Welling, *Auto-encoding variational Bayes*, ICLR 2014 (eq. 3: the ELBO; eq. 10: the estimator with the Gaussian KL).
- I. Higgins et al., *β-VAE: learning basic visual concepts with a constrained variational framework*, ICLR 2017 (eq. 4).
- K. Sohn, H. Lee, X. Yan, *Learning structured output representation using deep conditional generative models*, NeurIPS 2015.

*VAE variants.*

- A. B. L. Larsen, S. K. Sønderby, H. Larochelle, O. Winther, *Autoencoding beyond pixels using a learned similarity metric*, ICML 2016.
- A. Makhzani, J. Shlens, N. Jaitly, I. Goodfellow, B. Frey, *Adversarial autoencoders*, arXiv:1511.05644, 2015.
- E. Jang, S. Gu, B. Poole, *Categorical reparameterization with Gumbel-softmax*, ICLR 2017.

*VQ-VAE.*

- A. van den Oord, O. Vinyals, K. Kavukcuoglu, *Neural discrete representation learning*, NeurIPS 2017 (eq. 2, eq. 3, App. A.1).
- A. Razavi, A. van den Oord, O. Vinyals, *Generating diverse high-fidelity images with VQ-VAE-2*, NeurIPS 2019.
- A. van den Oord et al., *Conditional image generation with PixelCNN decoders*, NeurIPS 2016.

*GAN.*

- I. Goodfellow et al., *Generative adversarial nets*, NeurIPS 2014 (eq. 1).
- M. Arjovsky, S. Chintala, L. Bottou, *Wasserstein generative adversarial networks*, ICML 2017 (eq. 3).
- I. Gulrajani et al., *Improved training of Wasserstein GANs*, NeurIPS 2017.
- T. Miyato, T. Kataoka, M. Koyama, Y. Yoshida, *Spectral normalization for generative adversarial networks*, ICLR 2018.
- A. Radford, L. Metz, S. Chintala, *Unsupervised representation learning with deep convolutional GANs*, ICLR 2016.
- T. Karras et al., *Analyzing and improving the image quality of StyleGAN*, CVPR 2020.

*Diffusion.*

- J. Ho, A. Jain, P. Abbeel, *Denoising diffusion probabilistic models*, NeurIPS 2020 (eq. 4, 11, 14; Alg. 1–2).
- J. Song, C. Meng, S. Ermon, *Denoising diffusion implicit models*, ICLR 2021 (eq. 12).
- A. Nichol, P. Dhariwal, *Improved denoising diffusion probabilistic models*, ICML 2021 (eq. 17).
- J. Ho, T. Salimans, *Classifier-free diffusion guidance*, arXiv:2207.12598, 2022.
- P. Dhariwal, A. Nichol, *Diffusion models beat GANs on image synthesis*, NeurIPS 2021 (§4, Alg. 1–2).
- R. Rombach et al., *High-resolution image synthesis with latent diffusion models*, CVPR 2022.

*Score & flow.*

- Y. Song, S. Ermon, *Generative modeling by estimating gradients of the data distribution*, NeurIPS 2019 (eq. 5–6, Alg. 1).
- Y. Song et al., *Score-based generative modeling through stochastic differential equations*, ICLR 2021 (eq. 7, 9, 11; Alg. 4–5).
- Y. Lipman et al., *Flow matching for generative modeling*, ICLR 2023 (eq. 23).
- X. Liu, C. Gong, Q. Liu, *Flow straight and fast: learning to generate and transfer data with rectified flow*, arXiv:2209.03003, 2022.

*TD-VAE.*

- K. Gregor, G. Papamakarios, F. Besse, L. Buesing, T. Weber, *Temporal difference variational auto-encoder*, ICLR 2019.

*Sample quality.*

- M. Heusel et al., *GANs trained by a two time-scale update rule converge to a local Nash equilibrium*, NeurIPS 2017 (FID).
- M. Bińkowski et al., *Demystifying MMD GANs*, ICLR 2018 (KID).
- T. Kynkäänniemi et al., *Improved precision and recall metric for assessing generative models*, NeurIPS 2019.
- T. Salimans et al., *Improved techniques for training GANs*, NeurIPS 2016 (IS).
"""

GROUPS_ZH = {'Autoencoders': '自编码器', 'VAE': 'VAE', 'VAE variants': 'VAE 变体', 'VQ-VAE': 'VQ-VAE', 'GAN': 'GAN', 'Diffusion': '扩散模型', 'Score & flow': '得分与流', 'TD-VAE': 'TD-VAE', 'Sample quality': '样本质量'}


def markdown(zh: bool = False) -> str:
    """The section as Markdown, in English or with Chinese headings (the citations stay as published)."""
    text = LIST
    if zh:
        for en, cn in GROUPS_ZH.items():
            text = text.replace(f"*{en}.*", f"*{cn}*")
    return (INTRO_ZH if zh else INTRO) + "\n" + text
