"""English → 简体中文: the Diffusion and TD-VAE tabs. Keys are the exact English the page shows (a changed English
string shows up in tests/test_i18n.py until its line here follows); terms follow the class notes."""

ZH: dict[str, str] = {
    # Diffusion
    'Diffusion':
        '扩散模型',
    'Moons in 20 seconds':
        '20 秒学会双月',
    'Classifier-free guidance (moons)':
        '无分类器引导（双月）',
    'A 10-step chain':
        '10 步的链',
    'Digits with a U-Net':
        '用 U-Net 学数字',
    'diffusion steps T':
        '扩散步数 T',
    'Number of diffusion steps T: more steps, finer noise levels, slower sampling.':
        '扩散步数 T：步数越多，噪声级别越细，采样越慢。',
    'noise schedule':
        '噪声调度',
    "Noise schedule β_t: Ho et al.'s linear one (10⁻⁴ to 0.02 at T = 1000, the range scaled by 1000/T as Nichol & Dhariwal do; clipped at 0.999, which cuts the last β's when T ≤ 20) or Nichol & Dhariwal's cosine one.":
        '噪声调度 β_t：Ho et al. 的线性调度（T = 1000 时从 10⁻⁴ 到 0.02，按 Nichol & Dhariwal 的做法将范围乘以 1000/T；在 0.999 处截断，T ≤ 20 时会截掉最后几个 β）或 Nichol & Dhariwal 的余弦调度。',
    'linear':
        '线性',
    'cosine':
        '余弦',
    'class-conditional (guidance)':
        '类别条件（引导）',
    'Class-conditional model, trained for classifier-free guidance.':
        '类别条件模型，为无分类器引导而训练。',
    'guidance scale':
        '引导强度',
    "Guidance scale w at sampling: 0 ignores the label, 1 is plain conditional, >1 narrows each class; past w ≈ 1–2 samples also drift off the class's data.":
        '采样时的引导强度 w：0 忽略标签，1 是普通条件生成，>1 使每个类别更集中；w 超过约 1–2 后样本也会偏离该类的数据。',
    'noisy classifier (guidance)':
        '加噪分类器（引导）',
    'Also train a noisy classifier p_φ(y | x_t, t) on the same noisy draws, for classifier guidance (Dhariwal & Nichol 2021); needs a labelled dataset.':
        '同时在相同的加噪样本上训练一个加噪分类器 p_φ(y | x_t, t)，用于分类器引导（Dhariwal & Nichol 2021）；需要带标签的数据集。',
    'hidden units (2D)':
        '隐藏单元数（二维）',
    "Width of the 2D model's MLP.":
        '二维模型 MLP 的宽度。',
    'MLP blocks (2D)':
        'MLP 块数（二维）',
    "Residual blocks of the 2D model's MLP.":
        '二维模型 MLP 的残差块数。',
    'U-Net width (images)':
        'U-Net 宽度（图像）',
    "Channels at the U-Net's top level (images); it doubles once going down.":
        'U-Net 顶层的通道数（图像）；向下一层翻倍一次。',
    'Samples per step.':
        '每步的样本数。',
    'reverse-step variance':
        '反向步方差',
    "σ_t² of the reverse step (eq. 11): the posterior's β̃_t or β_t itself.":
        '反向步（式 11）的 σ_t²：后验的 β̃_t 或 β_t 本身。',
    'clip x̂₀ when sampling':
        '采样时裁剪 x̂₀',
    "At each sampling step, clip the predicted clean sample x̂₀ to the range of the training data (Ho et al. clip images to [−1, 1]; 2D points: their range + 10% each side): keeps early or strongly guided samples from flying off. The first step needs it most: there x̂₀ divides ε̂'s error by √ᾱ_T (cosine, T = 100: 1/2000).":
        '每个采样步都把预测的干净样本 x̂₀ 裁剪到训练数据的范围内（Ho et al. 把图像裁剪到 [−1, 1]；二维点：其范围两侧各加 10%）：防止早期或强引导的样本飞走。第一步最需要它：那里 x̂₀ 会把 ε̂ 的误差除以 √ᾱ_T（余弦，T = 100：1/2000）。',
    'label dropout':
        '标签丢弃率',
    'Classifier-free guidance: how often the label is hidden while training.':
        '无分类器引导：训练时隐藏标签的频率。',
    '### What it trains (Ho et al. 2020, §2–3: eq. 9 here is their eq. 4, eq. 10 their eq. 14, eq. 11 their eq. 11 with Alg. 2)\n$$q(x_t\\mid x_0)=\\mathcal{N}\\big(\\sqrt{\\bar\\alpha_t}\\,x_0,\\ (1-\\bar\\alpha_t)I\\big),\\quad\n\\bar\\alpha_t=\\prod_{s=1}^{t}(1-\\beta_s)\\qquad(9)$$\n$$\\mathcal{L}_{\\text{simple}}=\\mathbb{E}_{t,x_0,\\epsilon}\\big\\|\\epsilon-\\epsilon_\\theta\\big(\\sqrt{\\bar\\alpha_t}x_0\n+\\sqrt{1-\\bar\\alpha_t}\\,\\epsilon,\\ t\\big)\\big\\|^2\\qquad(10)$$\n\nGuidance: $\\hat\\epsilon=\\epsilon_\\theta(x_t,\\varnothing)+w\\,(\\epsilon_\\theta(x_t,y)-\\epsilon_\\theta(x_t,\\varnothing))$;\nthe score is $\\nabla\\log q_t(x_t)\\approx-\\hat\\epsilon/\\sqrt{1-\\bar\\alpha_t}$.\n\n**Classifier guidance** (Dhariwal & Nichol 2021, §4, Alg. 1 and 2): a classifier\n$p_\\phi(y\\mid x_t,t)$ trained on noisy $x_t$ (eq. 9) steers each reverse step with $g=\\nabla_{x_t}\\log p_\\phi(y\\mid x_t,t)$:\n$$\\text{DDPM: } x_{t-1}\\sim\\mathcal N\\big(\\mu_\\theta(x_t,t)+s\\,\\Sigma\\,g,\\ \\Sigma\\big),\\ \\Sigma=\\sigma_t^2I\n\\qquad\\text{DDIM: } \\hat\\epsilon\\leftarrow\\epsilon_\\theta(x_t,t)-\\sqrt{1-\\bar\\alpha_t}\\;s\\,g$$\n(the class notes write the second with $s=1$: $\\hat\\epsilon=\\epsilon_\\theta-\\sigma_t\\nabla_{x_t}\\log p_\\phi(y\\mid x_t)$).':
        '### 它训练什么（Ho et al. 2020，§2–3：这里的式 9 即其式 4，式 10 即其式 14，式 11 即其式 11 与算法 2）\n$$q(x_t\\mid x_0)=\\mathcal{N}\\big(\\sqrt{\\bar\\alpha_t}\\,x_0,\\ (1-\\bar\\alpha_t)I\\big),\\quad\n\\bar\\alpha_t=\\prod_{s=1}^{t}(1-\\beta_s)\\qquad(9)$$\n$$\\mathcal{L}_{\\text{simple}}=\\mathbb{E}_{t,x_0,\\epsilon}\\big\\|\\epsilon-\\epsilon_\\theta\\big(\\sqrt{\\bar\\alpha_t}x_0\n+\\sqrt{1-\\bar\\alpha_t}\\,\\epsilon,\\ t\\big)\\big\\|^2\\qquad(10)$$\n\n引导：$\\hat\\epsilon=\\epsilon_\\theta(x_t,\\varnothing)+w\\,(\\epsilon_\\theta(x_t,y)-\\epsilon_\\theta(x_t,\\varnothing))$；\n得分 (score) 为 $\\nabla\\log q_t(x_t)\\approx-\\hat\\epsilon/\\sqrt{1-\\bar\\alpha_t}$。\n\n**分类器引导**（Dhariwal & Nichol 2021，§4，算法 1 和 2）：在加噪 $x_t$（式 9）上训练的分类器\n$p_\\phi(y\\mid x_t,t)$ 用 $g=\\nabla_{x_t}\\log p_\\phi(y\\mid x_t,t)$ 引导每个反向步：\n$$\\text{DDPM: } x_{t-1}\\sim\\mathcal N\\big(\\mu_\\theta(x_t,t)+s\\,\\Sigma\\,g,\\ \\Sigma\\big),\\ \\Sigma=\\sigma_t^2I\n\\qquad\\text{DDIM: } \\hat\\epsilon\\leftarrow\\epsilon_\\theta(x_t,t)-\\sqrt{1-\\bar\\alpha_t}\\;s\\,g$$\n（课堂笔记中第二个式子取 $s=1$：$\\hat\\epsilon=\\epsilon_\\theta-\\sigma_t\\nabla_{x_t}\\log p_\\phi(y\\mid x_t)$）。',
    "### How it samples: DDPM with x̂₀ clipped (in use)\n$$\\hat x_0=\\operatorname{clip}\\Big(\\frac{x_t-\\sqrt{1-\\bar\\alpha_t}\\,\\epsilon_\\theta(x_t,t)}{\\sqrt{\\bar\\alpha_t}},\\ \\ell,\\ h\\Big),\\qquad \\hat\\epsilon=\\frac{x_t-\\sqrt{\\bar\\alpha_t}\\,\\hat x_0}{\\sqrt{1-\\bar\\alpha_t}}$$\n$$x_{t-1}=\\frac{1}{\\sqrt{1-\\beta_t}}\\Big(x_t-\\frac{\\beta_t}{\\sqrt{1-\\bar\\alpha_t}}\\,\\hat\\epsilon\\Big)+\\sigma_t z=\\frac{\\sqrt{\\bar\\alpha_{t-1}}\\,\\beta_t}{1-\\bar\\alpha_t}\\hat x_0+\\frac{\\sqrt{\\alpha_t}\\,(1-\\bar\\alpha_{t-1})}{1-\\bar\\alpha_t}x_t+\\sigma_t z\\qquad(11)$$\neq. 11 with the ε̂ of the clipped x̂₀, i.e. the posterior mean at the clipped x̂₀ (DDIM below uses the same clipped x̂₀ and ε̂); box $[\\ell,h]$: $[-1,1]$ for images; for 2D points each coordinate's training range widened by 10% of it on both sides (its numbers are in the reverse-process readout).\n$$\\sigma_t^2=\\tilde\\beta_t=\\frac{1-\\bar\\alpha_{t-1}}{1-\\bar\\alpha_t}\\,\\beta_t\\quad\\text{(the posterior's variance, in use; Ho et al.'s other choice: }\\sigma_t^2=\\beta_t\\text{)}$$\nDDIM (Song et al. 2021, eq. 12 and 16), from $t$ to the next visited $t'$: $$x_{t'}=\\sqrt{\\bar\\alpha_{t'}}\\,\\hat x_0+\\sqrt{1-\\bar\\alpha_{t'}-\\sigma^2}\\,\\hat\\epsilon+\\sigma z$$\n$$\\sigma_{t\\to t'}(\\eta)=\\eta\\,\\sqrt{\\frac{1-\\bar\\alpha_{t'}}{1-\\bar\\alpha_t}}\\sqrt{1-\\frac{\\bar\\alpha_t}{\\bar\\alpha_{t'}}}$$\nη = 0: deterministic; η = 1 with all T steps: σ² = β̃_t, DDPM's.\n\nCosine schedule (Nichol & Dhariwal 2021, eq. 17): $\\bar\\alpha_t=f(t)/f(0)$, $f(t)=\\cos^2\\big(\\frac{t/T+0.008}{1.008}\\frac{\\pi}{2}\\big)$; the last $\\beta_T$ is clipped at 0.999, so $\\bar\\alpha_T=2.4\\times10^{-7}$: x̂₀ of the first reverse step divides ε̂'s error by $\\sqrt{\\bar\\alpha_T}$.":
        "### 它如何采样：x̂₀ 经裁剪的 DDPM（当前使用）\n$$\\hat x_0=\\operatorname{clip}\\Big(\\frac{x_t-\\sqrt{1-\\bar\\alpha_t}\\,\\epsilon_\\theta(x_t,t)}{\\sqrt{\\bar\\alpha_t}},\\ \\ell,\\ h\\Big),\\qquad \\hat\\epsilon=\\frac{x_t-\\sqrt{\\bar\\alpha_t}\\,\\hat x_0}{\\sqrt{1-\\bar\\alpha_t}}$$\n$$x_{t-1}=\\frac{1}{\\sqrt{1-\\beta_t}}\\Big(x_t-\\frac{\\beta_t}{\\sqrt{1-\\bar\\alpha_t}}\\,\\hat\\epsilon\\Big)+\\sigma_t z=\\frac{\\sqrt{\\bar\\alpha_{t-1}}\\,\\beta_t}{1-\\bar\\alpha_t}\\hat x_0+\\frac{\\sqrt{\\alpha_t}\\,(1-\\bar\\alpha_{t-1})}{1-\\bar\\alpha_t}x_t+\\sigma_t z\\qquad(11)$$\n即使用裁剪后 x̂₀ 对应 ε̂ 的式 11，也就是裁剪后 x̂₀ 处的后验均值（下面的 DDIM 使用同样的裁剪 x̂₀ 和 ε̂）；裁剪框 $[\\ell,h]$：图像为 $[-1,1]$；二维点的每个坐标取训练范围并两侧各放宽 10%（具体数字见反向过程的读数）。\n$$\\sigma_t^2=\\tilde\\beta_t=\\frac{1-\\bar\\alpha_{t-1}}{1-\\bar\\alpha_t}\\,\\beta_t\\quad\\text{(the posterior's variance, in use; Ho et al.'s other choice: }\\sigma_t^2=\\beta_t\\text{)}$$\nDDIM（Song et al. 2021，式 12 和 16），从 $t$ 到下一个访问的 $t'$：$$x_{t'}=\\sqrt{\\bar\\alpha_{t'}}\\,\\hat x_0+\\sqrt{1-\\bar\\alpha_{t'}-\\sigma^2}\\,\\hat\\epsilon+\\sigma z$$\n$$\\sigma_{t\\to t'}(\\eta)=\\eta\\,\\sqrt{\\frac{1-\\bar\\alpha_{t'}}{1-\\bar\\alpha_t}}\\sqrt{1-\\frac{\\bar\\alpha_t}{\\bar\\alpha_{t'}}}$$\nη = 0：确定性；η = 1 且走完全部 T 步：σ² = β̃_t，即 DDPM 的。\n\n余弦调度（Nichol & Dhariwal 2021，式 17）：$\\bar\\alpha_t=f(t)/f(0)$，$f(t)=\\cos^2\\big(\\frac{t/T+0.008}{1.008}\\frac{\\pi}{2}\\big)$；最后的 $\\beta_T$ 在 0.999 处截断，所以 $\\bar\\alpha_T=2.4\\times10^{-7}$：第一个反向步的 x̂₀ 会把 ε̂ 的误差除以 $\\sqrt{\\bar\\alpha_T}$。",
    'Samples (red) over the data (grey)':
        '样本（红）叠在数据（灰）上',
    'Samples (20 DDIM steps, same seed every time)':
        '样本（20 步 DDIM，每次同一个种子）',
    'Forward process':
        '前向过程',
    't (clamped to T)':
        't（截断到 T）',
    'Noise level of the forward process (eq. 9); the marker on the schedules.':
        '前向过程的噪声级别（式 9）；即调度图上的标记。',
    'Reverse process':
        '反向过程',
    'Sampler':
        '采样器',
    "DDPM: all T steps of eq. 11. DDIM: fewer steps; η = 0 is deterministic and, measured on the 2D sets, lands 10–45% farther from the data (Chamfer) than DDPM even with all T steps: not a bug but the method, which keeps every error of the learned ε̂ that DDPM's fresh noise washes out (with the exact ε̂ both match the data).":
        'DDPM：式 11 的全部 T 步。DDIM：步数更少；η = 0 是确定性的，在二维数据集上测得即使走完全部 T 步，也比 DDPM 离数据远 10–45%（Chamfer 距离）：这不是 bug 而是方法本身——它保留了学到的 ε̂ 的每一个误差，而 DDPM 的新鲜噪声会把这些误差冲掉（用精确的 ε̂ 时两者都与数据吻合）。',
    'DDIM steps':
        'DDIM 步数',
    'How many samples (2D ≤ 2000, images ≤ 64)':
        '样本数（二维 ≤ 2000，图像 ≤ 64）',
    'Seed (same seed: same x_T for DDPM and DDIM)':
        '种子（同一种子：DDPM 和 DDIM 的 x_T 相同）',
    'Guidance scale w (conditional)':
        '引导强度 w（条件模型）',
    'Class (−1: one of each)':
        '类别（−1：每类一个）',
    'Guidance type':
        '引导类型',
    "classifier-free: w above (a conditional model); classifier: s·∇ log p_φ (train with 'noisy classifier' ticked)":
        '无分类器：用上面的 w（条件模型）；分类器：s·∇ log p_φ（训练时勾选“加噪分类器”）',
    'none':
        '无',
    'classifier-free':
        '无分类器',
    'classifier':
        '分类器',
    'Classifier scale s':
        '分类器强度 s',
    '2D arrows':
        '二维箭头',
    'ε̂ field':
        'ε̂ 场',
    'score field':
        '得分 (score) 场',
    'classifier ∇ log p(y | x_t)':
        '分类器 ∇ log p(y | x_t)',
    'Sample and keep every frame':
        '采样并保留每一帧',
    'Frame (0 = x_T, pure noise; last = x₀)':
        '帧（0 = x_T，纯噪声；最后 = x₀）',
    '◀ −1 step':
        '◀ −1 步',
    '▶ Play':
        '▶ 播放',
    '❚❚ Pause':
        '❚❚ 暂停',
    '+1 step ▶':
        '+1 步 ▶',
    'Train, then press **Sample and keep every frame**.':
        '先训练，再按 **采样并保留每一帧**。',
    'x_t (red) and the ε̂ field (arrows)':
        'x_t（红）与 ε̂ 场（箭头）',
    'predicted clean x̂₀ (blue)':
        '预测的干净 x̂₀（蓝）',
    'predicted noise ε̂ (grey = 0)':
        '预测的噪声 ε̂（灰 = 0）',
    'predicted clean x̂₀':
        '预测的干净 x̂₀',
    'Export the reverse process as a GIF':
        '把反向过程导出为 GIF',
    'Animated GIF':
        'GIF 动画',
    'Schedule':
        '调度',
    'β_t, ᾱ_t and SNR_t for both schedules (thick: the one in use; marker: t of the forward-process slider)':
        '两种调度的 β_t、ᾱ_t 和 SNR_t（粗线：当前使用的；标记：前向过程滑块的 t）',
    'Guidance':
        '引导',
    'Train with **class-conditional (guidance)** ticked (moons have 2 classes), then compare guidance scales: every class is sampled at each w from the same seed.':
        '勾选 **类别条件（引导）** 后训练（双月有 2 个类别），再比较不同的引导强度：每个 w 下都用同一个种子对每个类别采样。',
    'Compare guidance scales':
        '比较引导强度',
    'Spread and fidelity against the guidance scale':
        '分散度与保真度随引导强度的变化',
    # TD-VAE
    'Sine waves: jumpy prediction':
        '正弦波：跳跃预测',
    'Bouncing ball':
        '弹跳的球',
    'Moving digit':
        '移动的数字',
    'One transition for every jump':
        '每种跳跃都用同一个转移',
    'sine waves':
        '正弦波',
    'moving digit':
        '移动的数字',
    'bouncing ball':
        '弹跳的球',
    'sequence length':
        '序列长度',
    "Frames per generated sequence (the data are made at this length; a model trained on other data uses that data's length).":
        '每个生成序列的帧数（数据按这个长度生成；在其他数据上训练的模型使用那个数据的长度）。',
    'shortest jump':
        '最短跳跃',
    'Shortest jump t2 − t1 the model is trained on (eq. 14).':
        '模型训练所用的最短跳跃 t2 − t1（式 14）。',
    'longest jump':
        '最长跳跃',
    'Longest jump t2 − t1; must be shorter than the sequences.':
        '最长跳跃 t2 − t1；必须比序列短。',
    'condition on jump size':
        '以跳跃长度为条件',
    'Transition and smoothing also see the jump size, so a rollout with jump k predicts exactly k frames ahead.':
        '转移和平滑也看到跳跃长度，所以跳跃为 k 的推演恰好预测 k 帧之后。',
    'Size of the latent state z.':
        '潜在状态 z 的维度。',
    'belief size':
        '信念维度',
    "Size of the LSTM's belief state b_t.":
        'LSTM 信念状态 b_t 的维度。',
    'Width of the hidden layers of every MLP.':
        '每个 MLP 隐藏层的宽度。',
    'pairs per sequence':
        '每条序列的配对数',
    '(t1, t2) pairs drawn from each sequence per step: more pairs, smoother curves.':
        '每步从每条序列抽取的 (t1, t2) 配对数：配对越多，曲线越平滑。',
    'decoder likelihood':
        '解码器似然',
    'Decoder p_D: Bernoulli pixels, a Gaussian with fixed σ, or auto (Bernoulli for image frames of ≥ 16 pixels, Gaussian for signals).':
        '解码器 p_D：伯努利像素、固定 σ 的高斯，或 auto（≥ 16 像素的图像帧用伯努利，信号用高斯）。',
    'auto':
        '自动 (auto)',
    'bernoulli':
        '伯努利 (bernoulli)',
    'decoder σ':
        '解码器 σ',
    'σ of the Gaussian decoder (1D signals): the noise it expects.':
        '高斯解码器的 σ（一维信号）：它预期的噪声。',
    'batch size':
        '批大小',
    'Sequences per step.':
        '每步的序列数。',
    "### What it trains (eq. 14: the TD-VAE loss on a pair $t_1<t_2$, Gregor et al. 2019)\nPick $t_1<t_2$ with the jump $t_2-t_1$ in your range; draw $z_{t_2}\\sim p_B(\\cdot\\mid b_{t_2})$, then\n$z_{t_1}\\sim p_S(\\cdot\\mid z_{t_2},b_{t_1},b_{t_2})$, and maximise\n$$J=\\mathbb{E}\\big[\\log p_D(x_{t_2}\\mid z_{t_2})+\\log p_B(z_{t_1}\\mid b_{t_1})+\\log p_T(z_{t_2}\\mid z_{t_1})\n-\\log p_B(z_{t_2}\\mid b_{t_2})-\\log p_S(z_{t_1}\\mid z_{t_2},b_{t_1},b_{t_2})\\big]$$\n$b_t=\\mathrm{LSTM}(x_1,\\dots,x_t)$ is the **belief**; the loss is $-J$. The curves show each term as it enters\nthe loss: decoder $-\\log p_D$, belief at $t_1$ $-\\log p_B$, transition $-\\log p_T$, belief at $t_2$ $+\\log p_B$,\nsmoothing $+\\log p_S$; the last four together are the KL part.\n**Jumpy prediction:** from the belief at $t$, draw $z_t\\sim p_B$ and jump $z\\to z'\\sim p_T(z'\\mid z)$ again and\nagain, decoding each $z'$: several possible futures, never looking at frames after $t$.":
        "### 它训练什么（式 14：一对 $t_1<t_2$ 上的 TD-VAE 损失，Gregor et al. 2019）\n选取 $t_1<t_2$，跳跃 $t_2-t_1$ 在你设置的范围内；抽取 $z_{t_2}\\sim p_B(\\cdot\\mid b_{t_2})$，然后\n$z_{t_1}\\sim p_S(\\cdot\\mid z_{t_2},b_{t_1},b_{t_2})$，并最大化\n$$J=\\mathbb{E}\\big[\\log p_D(x_{t_2}\\mid z_{t_2})+\\log p_B(z_{t_1}\\mid b_{t_1})+\\log p_T(z_{t_2}\\mid z_{t_1})\n-\\log p_B(z_{t_2}\\mid b_{t_2})-\\log p_S(z_{t_1}\\mid z_{t_2},b_{t_1},b_{t_2})\\big]$$\n$b_t=\\mathrm{LSTM}(x_1,\\dots,x_t)$ 是 **信念**；损失为 $-J$。曲线显示每一项进入损失时的形式：解码器 $-\\log p_D$、$t_1$ 处的信念 $-\\log p_B$、转移 $-\\log p_T$、$t_2$ 处的信念 $+\\log p_B$、平滑 $+\\log p_S$；后四项合起来是 KL 部分。\n**跳跃预测：** 从时刻 $t$ 的信念出发，抽取 $z_t\\sim p_B$，然后一次又一次地跳跃 $z\\to z'\\sim p_T(z'\\mid z)$，并解码每个 $z'$：得到几种可能的未来，从不看 $t$ 之后的帧。",
    '### Jumpy prediction: several possible futures from the belief at time t':
        '### 跳跃预测：从时刻 t 的信念出发的几种可能未来',
    'Test sequence # (of the test set)':
        '测试序列 #（测试集中）',
    'Time t (the model sees frames 0 … t)':
        '时刻 t（模型看到第 0 … t 帧）',
    'Jump size (within the trained range)':
        '跳跃长度（在训练范围内）',
    'Number of futures':
        '未来的条数',
    'Jumps per future':
        '每条未来的跳跃次数',
    'Roll out again':
        '再推演一次',
    'Press **Train**, then pick a sequence and a time.':
        '按 **训练**，再选一条序列和一个时刻。',
    'The test sequence':
        '测试序列',
    'Truth and rolled-out futures':
        '真实序列与推演出的未来',
    'Jumpy prediction':
        '跳跃预测',
}
