"""English → 简体中文: the VQ-VAE and GAN tabs. Keys are the exact English the page shows (a changed English
string shows up in tests/test_i18n.py until its line here follows); terms follow the class notes."""

ZH: dict[str, str] = {
    # VQ-VAE
    'Codebook collapse (no restarts)':
        '码本塌缩（不重启）',
    'EMA codebook with restarts':
        '带重启的 EMA 码本',
    'VQ-VAE-2 on sprites':
        '精灵图上的 VQ-VAE-2',
    'codebook size K':
        '码本大小 K',
    'Codebook size K: how many code vectors e_1..e_K the quantiser chooses from (eq. 11).':
        '码本大小 K：量化器从多少个码向量 e_1..e_K 中选择（式 11）。',
    'code dimension D':
        '码向量维度 D',
    'Dimension D of each code vector (and of the encoder output z_e).':
        '每个码向量（以及编码器输出 z_e）的维度 D。',
    'commitment β':
        '承诺权重 β',
    'Commitment weight β of eq. 12: pulls the encoder output towards its code.':
        '式 12 的承诺 (commitment) 权重 β：把编码器输出拉向它的码。',
    'codebook update':
        '码本更新',
    'How the codebook learns: by the VQ term of the loss (eq. 12) or by moving averages of the encoder outputs assigned to each code (EMA, eq. 13).':
        '码本如何学习：通过损失中的 VQ 项（式 12），或通过分配给每个码的编码器输出的移动平均（EMA，式 13）。',
    'loss':
        '损失 (loss)',
    'ema':
        '指数移动平均 (ema)',
    'EMA decay γ':
        'EMA 衰减 γ',
    'EMA decay γ of eq. 13 (only with the EMA update): closer to 1 = slower, smoother codes.':
        '式 13 的 EMA 衰减 γ（仅用于 EMA 更新）：越接近 1，码变化越慢、越平滑。',
    'dead-code restart':
        '死码重启',
    'Dead-code restart: a code no cell chose for a while jumps onto a random encoder output of the batch.':
        '死码重启：一段时间内没有任何格子选中的码，跳到本批次中一个随机的编码器输出上。',
    'two levels (VQ-VAE-2)':
        '两层 (VQ-VAE-2)',
    'VQ-VAE-2: a top grid of codes (half the size) for the global shape, a bottom grid for the detail.':
        'VQ-VAE-2：顶层码网格（一半大小）负责整体形状，底层码网格负责细节。',
    'dead after (steps)':
        '多少步后算死码',
    'Steps without a single use after which a code counts as dead.':
        '一个码连续多少步一次都没被使用就算作死码。',
    'conv channels':
        '卷积通道数',
    'Channels of the conv encoder and decoder.':
        '卷积编码器和解码器的通道数。',
    "### What it trains (van den Oord et al. 2017, §3.1–3.2 and App. A.1: eq. 11 here is their eq. 2, eq. 12 their eq. 3, eq. 13 their EMA update)\n$$z_q(x)=e_k,\\quad k=\\arg\\min_i\\ \\|z_e(x)-e_i\\|_2\\qquad(11)$$\n$$L=\\underbrace{\\tfrac{1}{CHW}\\|x-D(e_k)\\|^2}_{\\text{recon}}+\\underbrace{\\tfrac{1}{hwD}\\|\\mathrm{sg}[z_e]-e_k\\|^2}_{\\text{VQ}}\n+\\beta\\,\\underbrace{\\tfrac{1}{hwD}\\|z_e-\\mathrm{sg}[e_k]\\|^2}_{\\text{commit}}\\qquad(12)$$\nEach term is a **mean over its elements** (averaged over the batch too): the image's $C\\cdot H\\cdot W$ pixels,\nthe code grid's $h\\cdot w$ cells times $D$ dimensions, as in the reference implementations whose\n$\\beta=0.25$ we keep. The paper writes plain squared norms; with $D=16$ on 8×8 digits ($4\\cdot4\\cdot16=256$ code\nnumbers for 64 pixels) those would weigh the VQ and commitment terms 4× more than here (on MNIST and sprites\nthe two counts match).\n$$N_i\\leftarrow\\gamma N_i+(1-\\gamma)n_i,\\ \\ m_i\\leftarrow\\gamma m_i+(1-\\gamma)\\textstyle\\sum_j z_{i,j},\n\\ \\ e_i=m_i/N_i\\qquad(13)$$\nPerplexity $=\\exp(-\\sum_k p_k\\log p_k)$ of code use: $K$ if all codes are used equally, 1 if one code does it all.":
        '### 它训练什么（van den Oord et al. 2017，§3.1–3.2 与附录 A.1：这里的式 11 即其式 2，式 12 即其式 3，式 13 即其 EMA 更新）\n$$z_q(x)=e_k,\\quad k=\\arg\\min_i\\ \\|z_e(x)-e_i\\|_2\\qquad(11)$$\n$$L=\\underbrace{\\tfrac{1}{CHW}\\|x-D(e_k)\\|^2}_{\\text{recon}}+\\underbrace{\\tfrac{1}{hwD}\\|\\mathrm{sg}[z_e]-e_k\\|^2}_{\\text{VQ}}\n+\\beta\\,\\underbrace{\\tfrac{1}{hwD}\\|z_e-\\mathrm{sg}[e_k]\\|^2}_{\\text{commit}}\\qquad(12)$$\n每一项都是 **对其元素取平均**（也对批次取平均）：图像的 $C\\cdot H\\cdot W$ 个像素，码网格的 $h\\cdot w$ 个格子乘以 $D$ 个维度，与参考实现一致，我们也沿用其 $\\beta=0.25$。论文写的是普通的平方范数；在 8×8 digits 上取 $D=16$（64 个像素对应 $4\\cdot4\\cdot16=256$ 个编码数值）时，VQ 项和承诺项的权重会比这里大 4 倍（在 MNIST 和精灵图上两个数相等）。\n$$N_i\\leftarrow\\gamma N_i+(1-\\gamma)n_i,\\ \\ m_i\\leftarrow\\gamma m_i+(1-\\gamma)\\textstyle\\sum_j z_{i,j},\n\\ \\ e_i=m_i/N_i\\qquad(13)$$\n码使用的困惑度 (perplexity) $=\\exp(-\\sum_k p_k\\log p_k)$：所有码被均匀使用时为 $K$，只用一个码时为 1。',
    'Code usage':
        '码使用情况',
    'Codebook and encoder outputs':
        '码本与编码器输出',
    'Code map & edit a cell':
        '码图 & 编辑一个格子',
    'row':
        '行',
    'column':
        '列',
    'new code k':
        '新码 k',
    'Decode with this code':
        '用这个码解码',
    'Map of code indices':
        '码索引图',
    'Input · recon · edited · |change| ×3':
        '输入 · 重构 · 编辑后 · |变化| ×3',
    'Keep the N most used codes':
        '只保留使用最多的 N 个码',
    'Keep the N most used codes (of K)':
        '保留使用最多的 N 个码（共 K 个）',
    'Inputs · all codes · only the N most used':
        '输入 · 全部码 · 只用最多的 N 个',
    'Error as N shrinks':
        '误差随 N 减小的变化',
    'Switch codes off':
        '关闭一些码',
    'Codes to switch off (e.g. 3, 17, 20), then Enter':
        '要关闭的码（例如 3, 17, 20），然后按回车',
    'The 8 images that suffer most: inputs · before · with the codes off':
        '受影响最大的 8 张图：输入 · 之前 · 关闭这些码后',
    'VQ-VAE-2 levels':
        'VQ-VAE-2 的两层',
    'Tick **two levels (VQ-VAE-2)** and train. Rows: inputs · both levels · top zeroed · top redrawn at random · bottom zeroed · bottom redrawn at random. What breaks when a level is gone is what that level carries.':
        '勾选 **两层 (VQ-VAE-2)** 并训练。各行：输入 · 两层都用 · 顶层置零 · 顶层随机重画 · 底层置零 · 底层随机重画。去掉一层后坏掉的东西，就是这一层所携带的信息。',
    'What each level carries':
        '每一层携带什么',
    'Sample (prior)':
        '采样（先验）',
    "A prior learns p(k₁…k_T) = Π p(k_t | k_<t) over the code maps of the training images (raster order; VQ-VAE-2: top map first). Two to choose from: a tiny causal **transformer**, or the papers' **gated PixelCNN** (vertical and horizontal stacks of masked convolutions, type A then B, each layer gated: y = tanh(W_f ∗ x) ⊙ σ(W_g ∗ x); for VQ-VAE-2 one per level, the bottom one conditioned on the top map). Train both and compare their loss curves (same units) and samples. Sampling a map cell by cell and decoding it gives new images. Right: cells drawn independently, for comparison.":
        '先验在训练图像的码图上学习 p(k₁…k_T) = Π p(k_t | k_<t)（光栅顺序；VQ-VAE-2：先顶层码图）。有两种可选：一个小的因果 **transformer**，或论文中的 **gated PixelCNN**（掩码卷积的竖直与水平两个栈，先 A 型后 B 型，每层带门控：y = tanh(W_f ∗ x) ⊙ σ(W_g ∗ x)；VQ-VAE-2 每层一个，底层的以顶层码图为条件）。两个都训练，比较它们的损失曲线（单位相同）和样本。逐格采样一张码图再解码，就得到新图像。右侧：各格独立采样，作为对比。',
    'prior steps per press':
        '每次按下先验训练的步数',
    'temperature':
        '温度',
    'prior':
        '先验',
    'Train prior':
        '训练先验',
    'Sample again':
        '再采样一次',
    'Train the VQ-VAE, then press **Train prior**.':
        '先训练 VQ-VAE，再按 **训练先验**。',
    'Prior loss':
        '先验损失',
    'Samples from the prior':
        '从先验采样',
    'Without a prior (independent cells)':
        '不用先验（各格独立）',
    # GAN
    'mode collapse':
        '模式坍塌',
    'WGAN-GP covers the modes':
        'WGAN-GP 覆盖所有模式',
    'ring of 8':
        '8 个高斯组成的环',
    'grid of 25':
        '25 个高斯组成的网格',
    'moons':
        '双月 (moons)',
    'swiss roll':
        '瑞士卷 (swiss roll)',
    'checkerboard':
        '棋盘 (checkerboard)',
    'my points (.csv) or images (.zip / .npz)':
        '我的点 (.csv) 或图像 (.zip / .npz)',
    'objective':
        '目标函数',
    "The game: minimax and non-saturating (eq. 5), WGAN with weight clipping, WGAN-GP (eq. 6 + gradient penalty) or hinge loss with spectral norm. Choosing one brings its paper's D steps, optimiser and learning rates.":
        '博弈：minimax 与非饱和（式 5）、带权重裁剪的 WGAN、WGAN-GP（式 6 + 梯度惩罚）或带谱归一化的 hinge 损失。选择其中一个会带上其论文的 D 步数、优化器和学习率。',
    'non-saturating':
        '非饱和 (non-saturating)',
    'Networks: MLP (2D points or small images), DCGAN (conv + BatchNorm + LeakyReLU) or a StyleGAN-style generator (mapping z→w, modulated convs, noise) with a DCGAN D.':
        '网络：MLP（二维点或小图像）、DCGAN（卷积 + BatchNorm + LeakyReLU）或 StyleGAN 风格的生成器（映射 z→w、调制卷积、噪声），配 DCGAN 的 D。',
    'noise size':
        '噪声维度',
    'Size of the noise z fed to the generator.':
        '输入生成器的噪声 z 的维度。',
    "Width of the MLPs' hidden layers.":
        'MLP 隐藏层的宽度。',
    'conv width':
        '卷积宽度',
    'Channels of the first conv layer (DCGAN / StyleGAN).':
        '第一个卷积层的通道数（DCGAN / StyleGAN）。',
    'D learning rate':
        'D 学习率',
    "Learning rate of the discriminator / critic (TTUR: may differ from G's). Choosing an objective sets its paper's rate scaled up, as the papers' are too slow for a live demo: WGAN 5e-5 → 5e-4, WGAN-GP 1e-4 → 1e-3, DCGAN 2e-4 → 1e-3.":
        '判别器 / 评论家 (critic) 的学习率（TTUR：可以与 G 的不同）。选择目标函数时会把其论文的学习率调大，因为论文的对现场演示来说太慢：WGAN 5e-5 → 5e-4，WGAN-GP 1e-4 → 1e-3，DCGAN 2e-4 → 1e-3。',
    'G learning rate':
        'G 学习率',
    'Learning rate of the generator (TTUR).':
        '生成器的学习率（TTUR）。',
    'D steps per G step':
        '每个 G 步的 D 步数',
    'Discriminator steps per generator step (5 in WGAN and WGAN-GP, 1 otherwise).':
        '每个生成器步对应的判别器步数（WGAN 和 WGAN-GP 为 5，其余为 1）。',
    'GP λ':
        '梯度惩罚 λ',
    "Weight λ of the gradient penalty (WGAN-GP only): 10 in the paper, 0.1 in its authors' code for 2D toy data (what choosing WGAN-GP sets).":
        '梯度惩罚的权重 λ（仅 WGAN-GP）：论文中为 10，作者代码对二维玩具数据用 0.1（选择 WGAN-GP 时的设置）。',
    'clip c':
        '裁剪 c',
    'Weight clipping bound c (WGAN only): every D weight is kept in [−c, c].':
        '权重裁剪界 c（仅 WGAN）：D 的每个权重都限制在 [−c, c] 内。',
    'spectral norm':
        '谱归一化',
    'Spectral normalisation of every D layer (always on for hinge).':
        '对 D 的每一层做谱归一化（hinge 时总是开启）。',
    'feature matching':
        '特征匹配',
    "G matches the mean of D's features on real data instead of fooling D (Salimans et al., 2016).":
        'G 去匹配 D 在真实数据上的特征均值，而不是去骗 D（Salimans et al., 2016）。',
    'minibatch std (ProGAN)':
        '小批量标准差 (ProGAN)',
    "ProGAN's minibatch standard deviation (Karras et al., 2018): D also sees the std of its features across the batch, so a collapsed G is easy to spot.":
        'ProGAN 的小批量标准差（Karras et al., 2018）：D 还能看到其特征在批次内的标准差，塌缩的 G 很容易被发现。',
    'minibatch discrimination':
        '小批量判别',
    "Minibatch discrimination (Salimans et al., 2016): D compares each sample's features with the rest of its batch through a learnt tensor T and sees how close the others are (Σ exp(−L1 distance)).":
        '小批量判别（Salimans et al., 2016）：D 通过一个学到的张量 T，把每个样本的特征与批内其他样本比较，看它们有多接近（Σ exp(−L1 距离)）。',
    'Real samples per step (and as many fakes).':
        '每步的真实样本数（以及同样多的假样本）。',
    'mapping layers':
        '映射层数',
    "Layers of StyleGAN's mapping network z→w.":
        'StyleGAN 映射网络 z→w 的层数。',
    "Adam's β₁ (0.5 as in DCGAN; 0 as in WGAN-GP). β₂ is 0.9 for WGAN-GP and hinge, 0.999 otherwise; WGAN uses RMSProp (no β).":
        'Adam 的 β₁（DCGAN 为 0.5；WGAN-GP 为 0）。WGAN-GP 和 hinge 的 β₂ 为 0.9，其余为 0.999；WGAN 使用 RMSProp（没有 β）。',
    "GAN lab: D's heatmap, real and generated points, G's gradient":
        'GAN 实验室：D 的热力图、真实点与生成点、G 的梯度',
    'G(z) from the same fixed noise every frame':
        '每帧都用同一组固定噪声生成的 G(z)',
    '### Modes covered: press **Train**':
        '### 覆盖的模式：按 **训练**',
    "Histogram of D's scores":
        'D 的打分直方图',
    "### The game (eq. 5 here is Goodfellow et al. 2014, eq. 1; eq. 6 is WGAN, Arjovsky et al. 2017, eq. 3; gradient penalty: Gulrajani et al. 2017; spectral norm: Miyato et al. 2018)\n$$\\min_G \\max_D\\ \\mathbb{E}_{x\\sim p_\\text{data}}[\\log D(x)] + \\mathbb{E}_{z\\sim p(z)}[\\log(1 - D(G(z)))]$$\nD learns to tell real from generated samples; G learns to fool it. WGAN replaces the log-loss by the\ncritic's Wasserstein estimate $\\mathbb{E}[D(x)] - \\mathbb{E}[D(G(z))]$, which needs a Lipschitz $D$: weight\nclipping keeps it $K$-Lipschitz for some unknown $K$ (so it estimates $K\\cdot W$, not $W$), the gradient\npenalty pushes it towards 1-Lipschitz, and spectral norm bounds each layer's slope by 1.":
        '### 博弈（这里的式 5 即 Goodfellow et al. 2014 的式 1；式 6 即 WGAN，Arjovsky et al. 2017 的式 3；梯度惩罚：Gulrajani et al. 2017；谱归一化：Miyato et al. 2018）\n$$\\min_G \\max_D\\ \\mathbb{E}_{x\\sim p_\\text{data}}[\\log D(x)] + \\mathbb{E}_{z\\sim p(z)}[\\log(1 - D(G(z)))]$$\nD 学习分辨真实样本与生成样本；G 学习骗过它。WGAN 用评论家 (critic) 的 Wasserstein 估计 $\\mathbb{E}[D(x)] - \\mathbb{E}[D(G(z))]$ 代替对数损失，这需要 $D$ 满足 Lipschitz 条件：权重裁剪使它对某个未知的 $K$ 是 $K$-Lipschitz 的（所以它估计的是 $K\\cdot W$ 而不是 $W$），梯度惩罚把它推向 1-Lipschitz，谱归一化把每一层的斜率限制在 1 以内。',
    '**Objective: non-saturating**\n$$\\max_D\\ \\mathbb{E}_{x}[\\log D(x)] + \\mathbb{E}_{z}[\\log(1 - D(G(z)))]$$\n$$\\min_G\\ -\\mathbb{E}_{z}[\\log D(G(z))]$$\nG maximises log D(G(z)) instead: same fixed point, strong gradients early on.':
        '**目标函数：非饱和**\n$$\\max_D\\ \\mathbb{E}_{x}[\\log D(x)] + \\mathbb{E}_{z}[\\log(1 - D(G(z)))]$$\n$$\\min_G\\ -\\mathbb{E}_{z}[\\log D(G(z))]$$\nG 改为最大化 log D(G(z))：不动点相同，早期梯度更强。',
    'Draw your own points':
        '画你自己的点',
    'Draw a shape (dark strokes)':
        '画一个形状（深色笔画）',
    'Use my drawing as the data':
        '用我的画作为数据',
}
