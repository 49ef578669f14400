"""English → 简体中文: the VAE and VAE variants tabs. Keys are the exact English the page shows (a changed English
string shows up in tests/test_i18n.py until its line here follows); terms follow the class notes."""

ZH: dict[str, str] = {
    # VAE
    'Posterior collapse (β = 8 on digits)':
        '后验塌缩（digits 上 β = 8）',
    '2D latent space (manifold)':
        '二维潜在空间（流形）',
    'KL warm-up':
        'KL 预热',
    'Disentangling sprites (β-VAE)':
        '解耦精灵图 (β-VAE)',
    'CVAE with a learned prior p(z|y)':
        '带学习先验 p(z|y) 的 CVAE',
    'Gaussian decoder with a learned σ':
        '学习 σ 的高斯解码器',
    'Weight β of the KL term: 1 is the plain VAE, >1 a β-VAE (eq. 10).':
        'KL 项的权重 β：1 为普通 VAE，>1 为 β-VAE（式 10）。',
    'KL warm-up epochs':
        'KL 预热轮数',
    'KL warm-up: β grows linearly from 0 over this many epochs (listing 1); 0 = off.':
        'KL 预热：β 在这么多轮 (epoch) 内从 0 线性增长（代码清单 1）；0 = 关闭。',
    'conditional (CVAE)':
        '条件 VAE (CVAE)',
    'Conditional VAE: encoder and decoder also see the one-hot label.':
        '条件变分自编码器：编码器和解码器也看到 one-hot 标签。',
    'reconstruction loss':
        '重构损失',
    'Reconstruction loss: BCE (Bernoulli pixels) or MSE (½‖x − x̂‖²: a Gaussian with σ = 1, without its constant D/2·log 2π).':
        '重构损失：BCE（伯努利像素）或 MSE（½‖x − x̂‖²：σ = 1 的高斯，省略常数 D/2·log 2π）。',
    'latent size':
        '潜变量维度',
    'Size of the latent code z.':
        '潜在编码 z 的维度。',
    'prior p(z|y)':
        '先验 p(z|y)',
    "The CVAE's prior p(z|y): N(0, I) for every label (standard), or a small network y -> (μ_p, log σ²_p) trained with the rest (learned; needs the conditional VAE).":
        'CVAE 的先验 p(z|y)：对每个标签都是 N(0, I)（标准），或一个与其余部分一起训练的小网络 y -> (μ_p, log σ²_p)（学习；需要条件 VAE）。',
    'standard':
        '标准',
    'learned':
        '学习',
    'Gaussian decoder σ':
        '高斯解码器 σ',
    'With the MSE (Gaussian) reconstruction loss: mse = ½‖x − x̂‖² (σ = 1, constant dropped); unit = the full −log N(x; x̂, I); learned = the full −log N(x; x̂, σ²I) with one learned σ for all pixels. The last two make −ELBO exact, in nats.':
        '使用 MSE（高斯）重构损失时：mse = ½‖x − x̂‖²（σ = 1，去掉常数）；unit = 完整的 −log N(x; x̂, I)；learned = 完整的 −log N(x; x̂, σ²I)，所有像素共用一个学习的 σ。后两者使 −ELBO 精确，单位为 nats。',
    'unit':
        'unit（单位方差）',
    '### What it trains (Kingma & Welling 2014, eq. 3 and 10; β-VAE: Higgins et al. 2017, eq. 4)\n$$\\mathcal{L}(x)=\\underbrace{\\mathbb{E}_{q_\\phi(z\\mid x)}\\big[-\\log p_\\theta(x\\mid z)\\big]}_{\\text{recon}}\n+\\beta_t\\,\\underbrace{D_{\\mathrm{KL}}\\big(q_\\phi(z\\mid x)\\,\\|\\,\\mathcal{N}(0,I)\\big)}_{\\text{KL}}$$\n$$D_{\\mathrm{KL}}=-\\tfrac12\\sum_{j=1}^{d}\\big(1+\\log\\sigma_j^2-\\mu_j^2-\\sigma_j^2\\big),\\qquad\nz=\\mu+\\sigma\\odot\\epsilon,\\ \\epsilon\\sim\\mathcal{N}(0,I)$$\n$$\\beta_t=\\beta\\cdot\\min\\!\\big(1,\\ \\text{epoch}/\\text{warm-up}\\big)$$\nrecon + KL is the negative ELBO (exactly, in nats, for BCE and for a Gaussian decoder with σ **unit** or\n**learned**; see below for MSE); β = 1 is the VAE, β > 1 the β-VAE. The conditional VAE puts the label $y$\nbeside $x$ in $q_\\phi(z\\mid x,y)$ and beside $z$ in $p_\\theta(x\\mid z,y)$; with the **standard** prior its prior\nstays $p(z\\mid y)=\\mathcal{N}(0,I)$ for every label (the KL above is unchanged, and samples draw\n$z\\sim\\mathcal{N}(0,I)$); with the **learned** prior a small network gives $p_\\psi(z\\mid y)$ (the formula under\nthis box follows the settings).\n\n**Reconstruction loss.** BCE: $-\\log p_\\theta(x\\mid z)$ for Bernoulli pixels with means $\\hat x$.\nMSE: a Gaussian with $\\sigma=1$, written without its constant,\n$$\\tfrac12\\|x-\\hat x\\|^2=-\\log\\mathcal{N}(x;\\hat x,I)-\\tfrac{D}{2}\\log 2\\pi\\qquad(D=\\text{pixels})$$\nso in MSE mode (Gaussian decoder σ = **mse**) the "−ELBO" curve is the negative ELBO up to that constant: add\n$\\tfrac{D}{2}\\log 2\\pi$ (58.8 for 8×8 digits, 720.4 for 28×28 MNIST) for the true value. Gaussian decoder σ\n**unit** or **learned** keeps the constant (and, learned, one $\\sigma$ for all pixels), so "−ELBO" is exact.':
        '### 它训练什么（Kingma & Welling 2014，式 3 与 10；β-VAE：Higgins et al. 2017，式 4）\n$$\\mathcal{L}(x)=\\underbrace{\\mathbb{E}_{q_\\phi(z\\mid x)}\\big[-\\log p_\\theta(x\\mid z)\\big]}_{\\text{recon}}\n+\\beta_t\\,\\underbrace{D_{\\mathrm{KL}}\\big(q_\\phi(z\\mid x)\\,\\|\\,\\mathcal{N}(0,I)\\big)}_{\\text{KL}}$$\n$$D_{\\mathrm{KL}}=-\\tfrac12\\sum_{j=1}^{d}\\big(1+\\log\\sigma_j^2-\\mu_j^2-\\sigma_j^2\\big),\\qquad\nz=\\mu+\\sigma\\odot\\epsilon,\\ \\epsilon\\sim\\mathcal{N}(0,I)$$\n$$\\beta_t=\\beta\\cdot\\min\\!\\big(1,\\ \\text{epoch}/\\text{warm-up}\\big)$$\n重构项 + KL 就是负的证据下界 (ELBO)（对 BCE 以及 σ 为 **unit** 或 **learned** 的高斯解码器是精确的，单位 nats；MSE 见下文）；β = 1 是 VAE，β > 1 是 β-VAE。条件 VAE 把标签 $y$ 放在 $q_\\phi(z\\mid x,y)$ 中 $x$ 的旁边、$p_\\theta(x\\mid z,y)$ 中 $z$ 的旁边；使用 **standard** 先验时，它的先验对每个标签都保持 $p(z\\mid y)=\\mathcal{N}(0,I)$（上面的 KL 不变，采样时取 $z\\sim\\mathcal{N}(0,I)$）；使用 **learned** 先验时，一个小网络给出 $p_\\psi(z\\mid y)$（此框下方的公式随设置变化）。\n\n**重构损失。** BCE：对均值为 $\\hat x$ 的伯努利像素取 $-\\log p_\\theta(x\\mid z)$。\nMSE：$\\sigma=1$ 的高斯，省略其常数，\n$$\\tfrac12\\|x-\\hat x\\|^2=-\\log\\mathcal{N}(x;\\hat x,I)-\\tfrac{D}{2}\\log 2\\pi\\qquad(D=\\text{pixels})$$\n因此在 MSE 模式下（高斯解码器 σ = **mse**），“−ELBO”曲线等于负 ELBO 减去这个常数：加上 $\\tfrac{D}{2}\\log 2\\pi$（8×8 digits 为 58.8，28×28 MNIST 为 720.4）即得真实值。高斯解码器 σ 取 **unit** 或 **learned** 时保留常数（learned 时所有像素共用一个 $\\sigma$），所以“−ELBO”是精确的。',
    '**Now training:**\n$$D_{\\mathrm{KL}}\\big(q_\\phi(z\\mid x)\\,\\|\\,\\mathcal{N}(0,I)\\big)$$\n**Standard prior** N(0, I).\n\n$$-\\log p_\\theta(x\\mid z)=-\\sum_i\\big[x_i\\log\\hat x_i+(1-x_i)\\log(1-\\hat x_i)\\big]$$':
        '**正在训练：**\n$$D_{\\mathrm{KL}}\\big(q_\\phi(z\\mid x)\\,\\|\\,\\mathcal{N}(0,I)\\big)$$\n**标准先验** N(0, I)。\n\n$$-\\log p_\\theta(x\\mid z)=-\\sum_i\\big[x_i\\log\\hat x_i+(1-x_i)\\log(1-\\hat x_i)\\big]$$',
    'Test inputs (rows 1, 3), reconstructions (2, 4)':
        '测试输入（第 1、3 行），重构（第 2、4 行）',
    'Samples from the prior: z ~ N(0, I), or z ~ p(z|y) with the learned prior (CVAE: one column per class)':
        '从先验采样：z ~ N(0, I)，或学习先验下 z ~ p(z|y)（CVAE：每类一列）',
    'KL per latent dimension':
        '每个潜变量维度的 KL',
    'Traversal':
        '遍历',
    'Start from test image #':
        '起始测试图像 #',
    'Rows: latent dimensions (most KL first); columns: value −3 … 3':
        '行：潜变量维度（KL 最大的在前）；列：取值 −3 … 3',
    'Interpolation':
        '插值',
    'From test image #':
        '起点测试图像 #',
    'To test image #':
        '终点测试图像 #',
    'From image a to image b along a straight line in z':
        '沿 z 中的直线从图像 a 到图像 b',
    '2D manifold':
        '二维流形',
    'Set **latent size = 2** to decode the whole latent plane.':
        '设 **潜变量维度 = 2**，即可解码整个潜在平面。',
    'Decoded grid of z (Gaussian quantiles)':
        'z 的解码网格（高斯分位数）',
    # VAE variants
    'VAE variants':
        'VAE 变体',
    'VAE-GAN vs plain VAE (digits)':
        'VAE-GAN vs 普通 VAE（digits）',
    'AAE: codes onto a ring of 10 Gaussians':
        'AAE：把编码推到 10 个高斯组成的环上',
    'AAE semi-supervised: one arm per digit':
        '半监督 AAE：每个数字一条臂',
    'Gumbel: annealed τ, 20 variables × 10 categories':
        'Gumbel：τ 退火，20 个变量 × 10 个类别',
    'Gumbel straight-through (hard)':
        'Gumbel 直通（硬）',
    'Which model: VAE-GAN (Larsen et al. 2016), adversarial autoencoder (Makhzani et al. 2015) or discrete VAE with Gumbel-softmax (Jang et al. 2017).':
        '哪个模型：VAE-GAN（Larsen et al. 2016）、对抗自编码器（Makhzani et al. 2015）或带 Gumbel-softmax 的离散 VAE（Jang et al. 2017）。',
    "Size of the continuous code z (VAE-GAN, AAE); 2 shows the AAE's code plane.":
        '连续编码 z 的维度（VAE-GAN、AAE）；取 2 可显示 AAE 的编码平面。',
    "VAE-GAN: weight γ of the feature-space reconstruction in the decoder's loss γ·L_llike − L_GAN (Larsen et al. 2016, eq. 9 and Alg. 1).":
        'VAE-GAN：解码器损失 γ·L_llike − L_GAN 中特征空间重构的权重 γ（Larsen et al. 2016，式 9 与算法 1）。',
    'plain VAE twin (VAE-GAN)':
        '普通 VAE 对照 (VAE-GAN)',
    'VAE-GAN: also train a plain VAE (same encoder and decoder, its own optimiser) on the same batches, to compare samples.':
        'VAE-GAN：同时在同样的批次上训练一个普通 VAE（相同的编码器和解码器，独立的优化器），以比较样本。',
    'prior (AAE)':
        '先验 (AAE)',
    'AAE: the prior p(z) the codes are pushed to: N(0, I), 10 Gaussians on a ring, the ring with one component per class (semi-supervised), or a uniform square.':
        'AAE：编码被推向的先验 p(z)：N(0, I)、环上的 10 个高斯、每类一个分量的环（半监督），或均匀正方形。',
    'mixture':
        '混合高斯 (mixture)',
    'mixture_by_label':
        '按标签的混合 (mixture_by_label)',
    'uniform':
        '均匀 (uniform)',
    'variables N (Gumbel)':
        '变量数 N (Gumbel)',
    'Gumbel: number N of categorical latent variables.':
        'Gumbel：类别型潜变量的个数 N。',
    'categories K (Gumbel)':
        '类别数 K (Gumbel)',
    'Gumbel: categories K of each variable (at least 2).':
        'Gumbel：每个变量的类别数 K（至少 2）。',
    'Gumbel: starting temperature τ₀ (> 0).':
        'Gumbel：起始温度 τ₀（> 0）。',
    'straight-through (hard, Gumbel)':
        '直通（硬，Gumbel）',
    "Gumbel: straight-through — the decoder sees the one-hot argmax, the gradient is the relaxed sample's.":
        'Gumbel：直通——解码器看到 one-hot 的 argmax，梯度取松弛样本的梯度。',
    'Adam learning rate (every optimiser).':
        'Adam 学习率（所有优化器）。',
    'Advanced settings':
        '高级设置',
    'Width of the hidden layer of every MLP (encoder, decoder, discriminator).':
        '每个 MLP（编码器、解码器、判别器）隐藏层的宽度。',
    'feature layer l (VAE-GAN)':
        '特征层 l (VAE-GAN)',
    'VAE-GAN: the discriminator layer l whose features measure the reconstruction (1 = first hidden layer, 2 = second).':
        'VAE-GAN：用来度量重构的判别器第 l 层特征（1 = 第一隐藏层，2 = 第二隐藏层）。',
    'feature σ (VAE-GAN)':
        '特征 σ (VAE-GAN)',
    'VAE-GAN: σ of the Gaussian p(Dis_l(x) | z) = N(Dis_l(x̃), σ²I) in feature space: L_llike = ‖Dis_l(x) − Dis_l(x̃)‖² / 2σ². Large σ makes the code worth little against the KL (posterior collapse).':
        'VAE-GAN：特征空间中高斯 p(Dis_l(x) | z) = N(Dis_l(x̃), σ²I) 的 σ：L_llike = ‖Dis_l(x) − Dis_l(x̃)‖² / 2σ²。σ 大时编码相对 KL 不值钱（后验塌缩）。',
    'Gumbel: the temperature never goes below τ_min (> 0).':
        'Gumbel：温度永远不低于 τ_min（> 0）。',
    'anneal rate r (Gumbel)':
        '退火速率 r (Gumbel)',
    'Gumbel: annealing rate r in τ = max(τ_min, τ₀·exp(−r·step)); 0 = constant τ₀.':
        'Gumbel：τ = max(τ_min, τ₀·exp(−r·step)) 中的退火速率 r；0 = 恒为 τ₀。',
    "Three relatives of the VAE: VAE-GAN (Larsen et al. 2016), the adversarial autoencoder (Makhzani et al. 2015) and the Gumbel-softmax VAE (Jang et al. 2017), chosen by **variant**; the box below\nshows the objective of the one chosen. All three encode and decode the images with MLPs (one hidden layer);\nVAE-GAN's encoder and decoder are exactly the VAE tab's, and its plain-VAE twin is the VAE tab's model.":
        'VAE 的三个亲戚：VAE-GAN（Larsen et al. 2016）、对抗自编码器（Makhzani et al. 2015）和 Gumbel-softmax VAE（Jang et al. 2017），由 **变体** 选择；下面的框显示所选模型的目标函数。三者都用 MLP（一个隐藏层）编码和解码图像；\nVAE-GAN 的编码器和解码器与 VAE 标签页的完全相同，它的普通 VAE 对照就是 VAE 标签页的模型。',
    "**VAE-GAN** (Larsen et al. 2016, eq. 7–9 and Alg. 1): the reconstruction is measured in the\ndiscriminator's $l$-th layer, a Gaussian in feature space, and the GAN game is played on reconstructions\n$\\tilde x=\\mathrm{Dec}(z),\\ z\\sim q(z\\mid x)$ and on prior samples $x_p=\\mathrm{Dec}(z_p),\\ z_p\\sim\\mathcal N(0,I)$:\n$$\\mathcal L_{\\text{prior}}=D_{\\mathrm{KL}}\\big(q(z\\mid x)\\,\\|\\,\\mathcal N(0,I)\\big)\\qquad\n\\mathcal L^{\\mathrm{Dis}_l}_{\\text{llike}}=-\\mathbb E_{q(z\\mid x)}\\big[\\log\\mathcal N\\big(\\mathrm{Dis}_l(x)\\mid\n\\mathrm{Dis}_l(\\tilde x),\\sigma^2 I\\big)\\big]=\\frac{\\|\\mathrm{Dis}_l(x)-\\mathrm{Dis}_l(\\tilde x)\\|^2}{2\\sigma^2}+\\text{const}$$\n$$\\mathcal L_{\\text{GAN}}=\\log \\mathrm{Dis}(x)+\\log\\big(1-\\mathrm{Dis}(\\tilde x)\\big)+\\log\\big(1-\\mathrm{Dis}(x_p)\\big)$$\n$$\\theta_{\\mathrm{Enc}}\\leftarrow-\\nabla(\\mathcal L_{\\text{prior}}+\\mathcal L_{\\text{llike}}),\\quad\n\\theta_{\\mathrm{Dec}}\\leftarrow-\\nabla(\\gamma\\,\\mathcal L_{\\text{llike}}-\\mathcal L_{\\text{GAN}}),\\quad\n\\theta_{\\mathrm{Dis}}\\leftarrow+\\nabla\\mathcal L_{\\text{GAN}}$$\nThe paper has $\\sigma=1$; with this small MLP discriminator that lets the code collapse (KL → 0), so\n$\\sigma$ is a setting (0.1). The decoder's $-\\mathcal L_{\\text{GAN}}$ is taken non-saturating, $-\\log\\mathrm{Dis}(\\tilde x)-\\log\\mathrm{Dis}(x_p)$.\nOne discriminator batch holds the real, the reconstructed and the prior-sampled images. Curves: KL, feature\nrecon, GAN (D, G), D's belief per kind, and the plain VAE twin's −ELBO (same batches, same steps).":
        '**VAE-GAN**（Larsen et al. 2016，式 7–9 与算法 1）：重构在判别器的第 $l$ 层中度量，是特征空间中的高斯；GAN 博弈在重构\n$\\tilde x=\\mathrm{Dec}(z),\\ z\\sim q(z\\mid x)$ 和先验样本 $x_p=\\mathrm{Dec}(z_p),\\ z_p\\sim\\mathcal N(0,I)$ 上进行：\n$$\\mathcal L_{\\text{prior}}=D_{\\mathrm{KL}}\\big(q(z\\mid x)\\,\\|\\,\\mathcal N(0,I)\\big)\\qquad\n\\mathcal L^{\\mathrm{Dis}_l}_{\\text{llike}}=-\\mathbb E_{q(z\\mid x)}\\big[\\log\\mathcal N\\big(\\mathrm{Dis}_l(x)\\mid\n\\mathrm{Dis}_l(\\tilde x),\\sigma^2 I\\big)\\big]=\\frac{\\|\\mathrm{Dis}_l(x)-\\mathrm{Dis}_l(\\tilde x)\\|^2}{2\\sigma^2}+\\text{const}$$\n$$\\mathcal L_{\\text{GAN}}=\\log \\mathrm{Dis}(x)+\\log\\big(1-\\mathrm{Dis}(\\tilde x)\\big)+\\log\\big(1-\\mathrm{Dis}(x_p)\\big)$$\n$$\\theta_{\\mathrm{Enc}}\\leftarrow-\\nabla(\\mathcal L_{\\text{prior}}+\\mathcal L_{\\text{llike}}),\\quad\n\\theta_{\\mathrm{Dec}}\\leftarrow-\\nabla(\\gamma\\,\\mathcal L_{\\text{llike}}-\\mathcal L_{\\text{GAN}}),\\quad\n\\theta_{\\mathrm{Dis}}\\leftarrow+\\nabla\\mathcal L_{\\text{GAN}}$$\n论文取 $\\sigma=1$；对这个小的 MLP 判别器，这会让编码塌缩（KL → 0），所以 $\\sigma$ 是一个设置（0.1）。解码器的 $-\\mathcal L_{\\text{GAN}}$ 取非饱和形式 $-\\log\\mathrm{Dis}(\\tilde x)-\\log\\mathrm{Dis}(x_p)$。\n一个判别器批次同时包含真实图像、重构图像和先验采样图像。曲线：KL、特征重构、GAN（D、G）、D 对每类输入的判断，以及普通 VAE 对照的 −ELBO（同样的批次、同样的步数）。',
    'Samples from the prior (VAE-GAN: the same 64 codes as the twin)':
        '从先验采样（VAE-GAN：与对照相同的 64 个编码）',
    "VAE-GAN only: the plain VAE twin's samples (same codes, data, steps)":
        '仅 VAE-GAN：普通 VAE 对照的样本（相同的编码、数据、步数）',
    'Codes vs prior (AAE)':
        '编码 vs 先验 (AAE)',
    "AAE: codes vs prior samples, D's decision map behind":
        'AAE：编码 vs 先验样本，背后是 D 的决策图',
    'Temperature (Gumbel)':
        '温度 (Gumbel)',
    'τ for this view':
        '此视图的 τ',
    'Test image #':
        '测试图像 #',
    'How soft the code is at τ':
        '编码在温度 τ 下有多“软”',
    'Input · decoded at the chosen τ · decoded at τ = 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10 (the same Gumbel noise)':
        '输入 · 在所选 τ 下解码 · 在 τ = 0.05、0.1、0.2、0.5、1、2、5、10 下解码（相同的 Gumbel 噪声）',
    'Flip a variable (Gumbel)':
        '翻转一个变量 (Gumbel)',
    'Variable n':
        '变量 n',
    'Category k':
        '类别 k',
    'Top: input · decoded code · flipped; bottom: the variable through every category':
        '上：输入 · 解码的编码 · 翻转后；下：该变量遍历所有类别',
    'Traversal (VAE-GAN, AAE)':
        '遍历（VAE-GAN、AAE）',
    "Rows: latent dimensions (VAE-GAN: most KL first); columns: values across the prior's range":
        '行：潜变量维度（VAE-GAN：KL 最大的在前）；列：在先验范围内的取值',
    'From image a to image b along a straight line in the code (Gumbel: in q(y|x))':
        '沿编码中的直线从图像 a 到图像 b（Gumbel：在 q(y|x) 中）',
}
