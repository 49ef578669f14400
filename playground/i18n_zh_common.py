"""English → 简体中文: the page and the panel every tab shares (buttons, presets, data, export), and the Autoencoders tab. Keys are the exact English the page shows (a changed English
string shows up in tests/test_i18n.py until its line here follows); terms follow the class notes."""

# the same in both languages: names, symbols and the switch's own words
KEEP: set[str] = {
    'AAE',
    'Adam β₁',
    'DCGAN',
    'DDIM',
    'DDIM η',
    'DDPM',
    'English',
    'GAN',
    'Language / 语言',
    'PC',
    'PCA',
    'TD-VAE',
    'VAE',
    'VAE-GAN',
    'VQ-VAE',
    'aae',
    'bce',
    'beta',
    'beta_tilde',
    'conv',
    'dcgan',
    'fashion-mnist',
    'gated PixelCNN',
    'gumbel',
    'hinge',
    'kl',
    'l1',
    'minimax',
    'mlp',
    'mnist',
    'mse',
    'ncsn',
    'stylegan',
    't-SNE',
    'transformer',
    'vae-gan',
    've',
    'vp',
    'wgan',
    'wgan-gp',
    'x_t',
    'β-VAE (β = 4)',
    'β_max',
    'β_min',
    'γ (VAE-GAN)',
    'σ_max',
    'σ_min',
    'τ_min (Gumbel)',
    'τ₀ (Gumbel)',
}

ZH: dict[str, str] = {
    # page
    '# Generative Models Playground\nPick a family, choose data and hyperparameters, press **▶ Train** and watch it learn.\nModels train live on the server that runs this page (a CPU is enough), every visitor with runs of their own; **■ Stop** keeps the model for every view.':
        '# 生成模型演练场\n选一个模型家族，选好数据和超参数，按 **▶ 训练**，看它学习。\n模型在运行本页面的服务器上实时训练（有 CPU 就够），每位访客的运行互不相干；**■ 停止** 会保留模型，供所有视图使用。',
    # Autoencoders
    'Autoencoders':
        '自编码器',
    '▶ Train':
        '▶ 训练',
    '■ Stop':
        '■ 停止',
    '↺ Reset':
        '↺ 重置',
    'Press **▶ Train** to start.':
        '按 **▶ 训练** 开始。',
    'Teaching presets':
        '教学预设',
    'Sets data and hyperparameters to show one phenomenon.':
        '一键设置数据和超参数，展示一个现象。',
    'Denoising: masking noise':
        '去噪：掩码噪声',
    'Sparse code (KL, ρ = 0.05)':
        '稀疏编码（KL，ρ = 0.05）',
    'k-sparse (k = 4 of 64)':
        'k-稀疏（64 个中保留 k = 4 个）',
    'Contractive vs plain':
        '收缩 vs 普通',
    'Holes: why the VAE':
        '空洞：为什么需要 VAE',
    'Data':
        '数据',
    'digits':
        '手写数字 (digits)',
    'sprites':
        '精灵图 (sprites)',
    'my images (.zip / .npz)':
        '我的图像 (.zip / .npz)',
    'Your data':
        '你的数据',
    'Steps per Train press':
        '每次按“训练”的步数',
    'variant':
        '变体',
    'Which autoencoder: plain (eq. 1), denoising (eq. 2), sparse (eq. 3, L1 or k-sparse) or contractive (eq. 4).':
        '哪种自编码器：普通（式 1）、去噪（式 2）、稀疏（式 3，L1 或 k-稀疏）或收缩（式 4）。',
    'plain':
        '普通',
    'denoising':
        '去噪',
    'sparse':
        '稀疏',
    'contractive':
        '收缩',
    'noise type':
        '噪声类型',
    'Denoising only: how x is corrupted: Gaussian (x + σε), masking (each pixel set to 0 with probability p, as in Vincent et al. 2008) or salt-and-pepper (set to 0 or 1).':
        '仅去噪：x 如何被破坏：高斯（x + σε）、掩码（每个像素以概率 p 置 0，同 Vincent et al. 2008）或椒盐（置 0 或 1）。',
    'gaussian':
        '高斯',
    'masking':
        '掩码',
    'salt-and-pepper':
        '椒盐',
    'noise level':
        '噪声强度',
    'Denoising only: σ of the Gaussian noise, or the probability p that a pixel is masked / salted.':
        '仅去噪：高斯噪声的 σ，或像素被掩码/加椒盐的概率 p。',
    'sparsity penalty':
        '稀疏惩罚',
    'Sparse only: KL(ρ‖ρ̂) on the mean activation of each unit (eq. 3), L1 on the activations, or k-sparse (keep the k largest, zero the rest).':
        '仅稀疏：对每个单元的平均激活加 KL(ρ‖ρ̂)（式 3）、对激活加 L1，或 k-稀疏（保留最大的 k 个，其余置零）。',
    'k-sparse':
        'k-稀疏',
    'target ρ':
        '目标 ρ',
    'Sparse KL only: target mean activation ρ of each code unit (strictly between 0 and 1).':
        '仅稀疏 KL：每个编码单元的目标平均激活 ρ（严格介于 0 和 1 之间）。',
    'KL weight β':
        'KL 权重 β',
    'Sparse KL only: weight β of the KL penalty (eq. 3).':
        '仅稀疏 KL：KL 惩罚的权重 β（式 3）。',
    'L1 weight':
        'L1 权重',
    'Sparse L1 only: weight of Σ_j |h_j|; too large and every unit switches off.':
        '仅稀疏 L1：Σ_j |h_j| 的权重；太大则所有单元都会关闭。',
    'k (units kept)':
        'k（保留的单元数）',
    'k-sparse only: how many code units stay on per image (at most the code size).':
        '仅 k-稀疏：每张图保持激活的编码单元数（不超过编码维度）。',
    'λ (contraction)':
        'λ（收缩）',
    "Contractive only: weight λ of ‖J‖_F², the encoder Jacobian's squared Frobenius norm (eq. 4).":
        '仅收缩：‖J‖_F² 的权重 λ，即编码器雅可比矩阵的 Frobenius 范数平方（式 4）。',
    'code size':
        '编码维度',
    'Size of the code h: the bottleneck (sparse codes work well wider, e.g. 64).':
        '编码 h 的维度：瓶颈（稀疏编码宽一些效果好，例如 64）。',
    'architecture':
        '网络结构',
    'Encoder/decoder: an MLP or a small conv net.':
        '编码器/解码器：多层感知机 (MLP) 或小型卷积网络。',
    'hidden units':
        '隐藏单元数',
    "Width of the MLP's hidden layer.":
        'MLP 隐藏层的宽度。',
    'learning rate':
        '学习率',
    'Adam learning rate.':
        'Adam 学习率。',
    'batch size':
        '批大小',
    'Images per step.':
        '每步的图像数。',
    'seed':
        '随机种子',
    'Random seed: same seed, same run.':
        '随机种子：种子相同，运行相同。',
    'Export / import the run':
        '导出 / 导入运行',
    'Export weights + config + metrics':
        '导出权重 + 配置 + 指标',
    'Run (.zip: safetensors, config.json, metrics.csv)':
        '运行 (.zip：safetensors、config.json、metrics.csv)',
    'Import a run (.zip exported here)':
        '导入运行（在此导出的 .zip）',
    '📌 Pin this run':
        '📌 固定这次运行',
    'Unpin all':
        '全部取消固定',
    'Pinned runs: their samples when pinned (their curves are the faint lines)':
        '已固定的运行：固定时的样本（它们的曲线是浅色的线）',
    'The equation it trains':
        '它训练的方程',
    "Encoder $g_\\phi$, decoder $f_\\theta$ (Hinton & Salakhutdinov 2006; the variants: Goodfellow, Bengio & Courville 2016, *Deep Learning* ch. 14; eq. 1–4 are this tab's numbering): $\\mathbf{h}=g_\\phi(\\mathbf{x})$,\n$\\mathbf{x}'=f_\\theta(\\mathbf{h})$; every variant minimises the squared reconstruction error, averaged over images\n$$L_{AE}=\\frac1n\\sum_{i=1}^n\\big\\|\\mathbf{x}^{(i)}-f_\\theta(g_\\phi(\\mathbf{x}^{(i)}))\\big\\|^2\\quad(1)$$":
        "编码器 $g_\\phi$，解码器 $f_\\theta$（Hinton & Salakhutdinov 2006；各变体见 Goodfellow、Bengio 与 Courville 2016《深度学习》第 14 章；式 1–4 为本页编号）：$\\mathbf{h}=g_\\phi(\\mathbf{x})$，\n$\\mathbf{x}'=f_\\theta(\\mathbf{h})$；每个变体都最小化平方重构误差，对图像取平均\n$$L_{AE}=\\frac1n\\sum_{i=1}^n\\big\\|\\mathbf{x}^{(i)}-f_\\theta(g_\\phi(\\mathbf{x}^{(i)}))\\big\\|^2\\quad(1)$$",
    '### The loss of this variant: plain\n$$L=\\|\\mathbf{x}-f(g(\\mathbf{x}))\\|^2\\quad(1)$$ A deterministic code: nothing asks the codes to fill the space, so decoding a random code can land in a hole.':
        '### 这个变体的损失：普通\n$$L=\\|\\mathbf{x}-f(g(\\mathbf{x}))\\|^2\\quad(1)$$ 确定性的编码：没有任何项要求编码填满空间，所以解码一个随机编码可能落进空洞。',
    'Loss terms: lines per step, dots per epoch':
        '损失各项：线为每步，点为每轮 (epoch)',
    'Input / output rows (DAE: noisy, output, clean)':
        '输入 / 输出行（DAE：加噪、输出、干净）',
    'Latent space':
        '潜在空间',
    'Projection':
        '投影',
    'Compute t-SNE now':
        '立即计算 t-SNE',
    'Sparsity':
        '稀疏性',
    'Histogram of code activations':
        '编码激活直方图',
    'Mean activation per unit':
        '每个单元的平均激活',
    'Contraction':
        '收缩',
    'Code sensitivity to small input perturbations':
        '编码对输入微小扰动的敏感度',
    'Train the same AE with λ = 0 for as many steps, and compare':
        '用 λ = 0 把同一个 AE 训练同样多步，并比较',
    'Why VAE (holes)':
        '为什么需要 VAE（空洞）',
    "Rows: **AE** straight line from image a to b · **VAE** same line · **AE** random codes · **VAE** random codes z ~ N(0, I). An AE's codes leave holes: points between or away from training codes decode to nothing; a VAE's KL term pulls its codes onto N(0, I) (Kingma & Welling 2014, eq. 10).":
        '各行：**AE** 从图像 a 到 b 的直线 · **VAE** 同一条线 · **AE** 随机编码 · **VAE** 随机编码 z ~ N(0, I)。AE 的编码会留下空洞：训练编码之间或远离它们的点解码出来什么也不是；VAE 的 KL 项把它的编码拉向 N(0, I)（Kingma & Welling 2014，式 10）。',
    'From test image a':
        '起点测试图像 a',
    'To test image b':
        '终点测试图像 b',
    'VAE training steps':
        'VAE 训练步数',
    'Train a VAE with the same code size on the same data':
        '在同样数据上训练一个编码维度相同的 VAE',
    'AE line · VAE line · AE random codes · VAE random codes':
        'AE 直线 · VAE 直线 · AE 随机编码 · VAE 随机编码',
    'Anomaly detection':
        '异常检测',
    'Held-out class index(es): the anomalies':
        '留出的类别编号：即异常',
    'Training steps':
        '训练步数',
    'Train on the other classes and score by reconstruction error':
        '在其余类别上训练，并按重构误差打分',
    'Reconstruction errors: normal vs held-out':
        '重构误差：正常 vs 留出',
}
