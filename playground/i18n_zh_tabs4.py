"""English → 简体中文: the Score & flow tab and the strings added after the first pass (sample quality, the prior comparison, Compare). Keys are the exact English the page shows (a changed English
string shows up in tests/test_i18n.py until its line here follows); terms follow the class notes."""

ZH: dict[str, str] = {
    # Score & flow
    'Sample quality: FID, KID, precision & recall, IS':
        '样本质量：FID、KID、精确率与召回率、IS',
    "**Why not the usual Inception network?** Its weights can't be downloaded here and mean nothing on 8×8 digits. So the features are those of a small conv classifier trained on this data set (its held-out accuracy is shown: the scores mean something only if it is high). FID and KID: lower is better (0 = the real test set's own statistics); precision: share of samples that look real; recall: share of real images the samples cover (high precision with low recall = mode dropping); IS: higher is better, at most the number of classes.":
        '**为什么不用常见的 Inception 网络？** 这里无法下载它的权重，而且它对 8×8 的数字没有意义。所以特征取自在这个数据集上训练的一个小卷积分类器（显示其留出集准确率：只有准确率高，这些分数才有意义）。FID 和 KID：越低越好（0 = 真实测试集自身的统计量）；精确率：看起来真实的样本所占比例；召回率：样本覆盖的真实图像所占比例（精确率高而召回率低 = 丢失模式）；IS：越高越好，最多等于类别数。',
    'Samples to score':
        '参与打分的样本数',
    'Also score every N steps while training (0: only on demand)':
        '训练时每 N 步也打一次分（0：只在需要时）',
    'Score the samples now':
        '现在给样本打分',
    'Press **Score the samples now** after training a while.':
        '训练一会儿后按 **现在给样本打分**。',
    'Scores against steps and training time':
        '分数随步数与训练时间的变化',
    "Real vs generated in the classifier's feature space (PCA)":
        '分类器特征空间中的真实 vs 生成（PCA）',
    'Prior: transformer vs gated PixelCNN':
        '先验：transformer vs gated PixelCNN',
    'Score & flow':
        '得分与流',
    'NCSN + annealed Langevin (moons)':
        'NCSN + 退火朗之万（双月）',
    'VE SDE score vs the true score (ring of 8)':
        'VE SDE 得分 vs 真实得分（8 个高斯组成的环）',
    'PC sampling: corrector steps and snr (moons, VP)':
        'PC 采样：校正步数与 snr（双月，VP）',
    'Flow matching: straight paths (moons)':
        '流匹配：直线路径（双月）',
    "What the network learns: the score by denoising score matching over NCSN's σ levels (Song & Ermon 2019), over the VE or the VP SDE's continuous clock (Song et al. 2021), or a velocity by flow matching on straight paths (Lipman et al. 2023).":
        '网络学什么：在 NCSN 的 σ 级别上用去噪得分匹配学得分（Song & Ermon 2019），在 VE 或 VP SDE 的连续时间上学得分（Song et al. 2021），或在直线路径上用流匹配学速度（Lipman et al. 2023）。',
    'flow':
        '流 (flow)',
    'Smallest noise level σ_min (NCSN, VE): the samples end this blurred.':
        '最小噪声级别 σ_min（NCSN、VE）：样本最后就模糊到这个程度。',
    'Largest noise level σ_max (NCSN, VE): about the largest distance between two data points (Song & Ermon 2020, technique 1), so the prior N(0, σ_max² I) covers the data.':
        '最大噪声级别 σ_max（NCSN、VE）：约为两个数据点之间的最大距离（Song & Ermon 2020，技巧 1），使先验 N(0, σ_max² I) 覆盖数据。',
    'NCSN levels L':
        'NCSN 级别数 L',
    'NCSN: number L of noise levels, geometric from σ_max to σ_min.':
        'NCSN：噪声级别的个数 L，从 σ_max 到 σ_min 呈几何级数。',
    'Width of the MLP.':
        'MLP 的宽度。',
    'MLP blocks':
        'MLP 块数',
    'Residual blocks of the MLP.':
        'MLP 的残差块数。',
    'Points per step.':
        '每步的点数。',
    'VP SDE: β(0) (Song et al. 2021 use 0.1).':
        'VP SDE：β(0)（Song et al. 2021 取 0.1）。',
    'VP SDE: β(1) (Song et al. 2021 use 20).':
        'VP SDE：β(1)（Song et al. 2021 取 20）。',
    "### What it trains: denoising score matching (Song et al. 2021, eq. 7; Song & Ermon 2019, eq. 5–6)\n$$\\theta^*=\\arg\\min_\\theta\\ \\mathbb{E}_t\\Big\\{\\lambda(t)\\,\\mathbb{E}_{x_0}\\mathbb{E}_{x_t\\mid x_0}\n\\big\\|s_\\theta(x_t,t)-\\nabla_{x_t}\\log p_{0t}(x_t\\mid x_0)\\big\\|_2^2\\Big\\}\\qquad(7)$$\n$p_{0t}(x_t\\mid x_0)=\\mathcal{N}(\\alpha_t x_0,\\ \\sigma_t^2 I)$, so $\\nabla_{x_t}\\log p_{0t}=-(x_t-\\alpha_t x_0)/\\sigma_t^2=-z/\\sigma_t$;\nweight $\\lambda(t)=\\sigma_t^2$ (NCSN: $\\lambda(\\sigma)=\\sigma^2$ and a ½).\n\n**ε-prediction and the score** (Ho et al. 2020, §3.2 and §3.4): the network predicts the noise and\n$s_\\theta(x,t)=-\\epsilon_\\theta(x,t)/\\sigma_t$ — so $\\sigma_t^2\\|s_\\theta+z/\\sigma_t\\|^2=\\|\\epsilon_\\theta(x_t,t)-z\\|^2$,\nDDPM's loss (eq. 10 of the Diffusion tab; Ho et al. 2020, eq. 14).\n\n**Flow matching** (Lipman et al. 2023, eq. 23 with $\\sigma_{\\min}=0$; rectified flow, Liu et al. 2022, eq. 1), objective *flow*:\n$$\\min_\\theta\\ \\mathbb{E}_{t\\sim U[0,1],\\,x_0\\sim\\mathcal N(0,I),\\,x_1\\sim\\text{data}}\n\\big\\|v_\\theta\\big((1-t)\\,x_0+t\\,x_1,\\ t\\big)-(x_1-x_0)\\big\\|^2$$":
        '### 它训练什么：去噪得分匹配（Song et al. 2021，式 7；Song & Ermon 2019，式 5–6）\n$$\\theta^*=\\arg\\min_\\theta\\ \\mathbb{E}_t\\Big\\{\\lambda(t)\\,\\mathbb{E}_{x_0}\\mathbb{E}_{x_t\\mid x_0}\n\\big\\|s_\\theta(x_t,t)-\\nabla_{x_t}\\log p_{0t}(x_t\\mid x_0)\\big\\|_2^2\\Big\\}\\qquad(7)$$\n$p_{0t}(x_t\\mid x_0)=\\mathcal{N}(\\alpha_t x_0,\\ \\sigma_t^2 I)$，所以 $\\nabla_{x_t}\\log p_{0t}=-(x_t-\\alpha_t x_0)/\\sigma_t^2=-z/\\sigma_t$；\n权重 $\\lambda(t)=\\sigma_t^2$（NCSN：$\\lambda(\\sigma)=\\sigma^2$ 再乘 ½）。\n\n**ε 预测与得分**（Ho et al. 2020，§3.2 与 §3.4）：网络预测噪声，且\n$s_\\theta(x,t)=-\\epsilon_\\theta(x,t)/\\sigma_t$ —— 所以 $\\sigma_t^2\\|s_\\theta+z/\\sigma_t\\|^2=\\|\\epsilon_\\theta(x_t,t)-z\\|^2$，\n即 DDPM 的损失（扩散页的式 10；Ho et al. 2020，式 14）。\n\n**流匹配**（Lipman et al. 2023，式 23，取 $\\sigma_{\\min}=0$；整流流 (rectified flow)，Liu et al. 2022，式 1），目标 *flow*：\n$$\\min_\\theta\\ \\mathbb{E}_{t\\sim U[0,1],\\,x_0\\sim\\mathcal N(0,I),\\,x_1\\sim\\text{data}}\n\\big\\|v_\\theta\\big((1-t)\\,x_0+t\\,x_1,\\ t\\big)-(x_1-x_0)\\big\\|^2$$',
    '**VE SDE** (Song et al. 2021, eq. 9): $dx=\\sqrt{\\tfrac{d[\\sigma^2(t)]}{dt}}\\,dw$, $\\sigma(t)=\\sigma_{\\min}(\\sigma_{\\max}/\\sigma_{\\min})^t$; $p_{0t}=\\mathcal N(x_0,\\sigma(t)^2I)$, prior $\\mathcal N(0,\\sigma_{\\max}^2 I)$.\n\n### How it samples\n**Annealed Langevin** (Song & Ermon 2019, Alg. 1), levels $\\sigma_1>\\dots>\\sigma_L$, $T$ steps each:\n$$\\alpha_i=\\epsilon\\,\\sigma_i^2/\\sigma_L^2,\\qquad x\\leftarrow x+\\tfrac{\\alpha_i}{2}\\,s_\\theta(x,\\sigma_i)+\\sqrt{\\alpha_i}\\,z$$\n**PC sampling** (Song et al. 2021, Alg. 2/3): the reverse SDE (eq. 6)\n$dx=[f(x,t)-g(t)^2\\nabla_x\\log p_t(x)]\\,dt+g(t)\\,d\\bar w$, discretised (Euler–Maruyama, $g^2$ integrated over the step):\n$$\\text{VE: }x_{i-1}=x_i+(\\sigma_i^2-\\sigma_{i-1}^2)\\,s_\\theta(x_i,t_i)+\\sqrt{\\sigma_i^2-\\sigma_{i-1}^2}\\,z\n\\qquad\\text{VP: }x_{i-1}=\\tfrac{1}{\\sqrt{1-\\beta_i}}\\big(x_i+\\beta_i\\,s_\\theta(x_i,t_i)\\big)+\\sqrt{\\beta_i}\\,z$$\n($\\beta_i=1-e^{-\\int_{t_{i-1}}^{t_i}\\beta}$; Alg. 3 writes $(2-\\sqrt{1-\\beta_i})\\,x_i$, the first-order form), then $M$\nLangevin corrector steps at $t_{i-1}$ (Alg. 4/5) with signal-to-noise ratio $r$:\n$$\\epsilon=2\\alpha_i\\big(r\\,\\|z\\|/\\|s_\\theta(x,t_{i-1})\\|\\big)^2,\\qquad x\\leftarrow x+\\epsilon\\,s_\\theta(x,t_{i-1})+\\sqrt{2\\epsilon}\\,z$$\n($\\alpha_i=1$ for VE, $1-\\beta_i$ for VP).\n**Probability-flow ODE** (Song et al. 2021, eq. 13), deterministic given $x_T$:\n$$dx=\\big[f(x,t)-\\tfrac12 g(t)^2\\,\\nabla_x\\log p_t(x)\\big]dt;\\qquad\\text{VE: }x_{i-1}=x_i+\\tfrac12(\\sigma_i^2-\\sigma_{i-1}^2)\\,s_\\theta(x_i,t_i)$$\nVP: $x_{i-1}=(x_i+s_\\theta)\\,e^{\\frac12\\int_{t_{i-1}}^{t_i}\\beta}-s_\\theta$ (Euler with the linear term integrated exactly).\nWhere a point is headed (Tweedie): $\\hat x_0=(x_t+\\sigma_t^2\\,s_\\theta(x_t,t))/\\alpha_t=(x_t-\\sigma_t\\,\\epsilon_\\theta)/\\alpha_t$.':
        '**VE SDE**（Song et al. 2021，式 9）：$dx=\\sqrt{\\tfrac{d[\\sigma^2(t)]}{dt}}\\,dw$，$\\sigma(t)=\\sigma_{\\min}(\\sigma_{\\max}/\\sigma_{\\min})^t$；$p_{0t}=\\mathcal N(x_0,\\sigma(t)^2I)$，先验 $\\mathcal N(0,\\sigma_{\\max}^2 I)$。\n\n### 它如何采样\n**退火朗之万**（Song & Ermon 2019，算法 1），级别 $\\sigma_1>\\dots>\\sigma_L$，每级 $T$ 步：\n$$\\alpha_i=\\epsilon\\,\\sigma_i^2/\\sigma_L^2,\\qquad x\\leftarrow x+\\tfrac{\\alpha_i}{2}\\,s_\\theta(x,\\sigma_i)+\\sqrt{\\alpha_i}\\,z$$\n**PC 采样**（Song et al. 2021，算法 2/3）：反向 SDE（式 6）\n$dx=[f(x,t)-g(t)^2\\nabla_x\\log p_t(x)]\\,dt+g(t)\\,d\\bar w$，离散化（Euler–Maruyama，$g^2$ 在步内积分）：\n$$\\text{VE: }x_{i-1}=x_i+(\\sigma_i^2-\\sigma_{i-1}^2)\\,s_\\theta(x_i,t_i)+\\sqrt{\\sigma_i^2-\\sigma_{i-1}^2}\\,z\n\\qquad\\text{VP: }x_{i-1}=\\tfrac{1}{\\sqrt{1-\\beta_i}}\\big(x_i+\\beta_i\\,s_\\theta(x_i,t_i)\\big)+\\sqrt{\\beta_i}\\,z$$\n（$\\beta_i=1-e^{-\\int_{t_{i-1}}^{t_i}\\beta}$；算法 3 写作 $(2-\\sqrt{1-\\beta_i})\\,x_i$，即一阶形式），然后在 $t_{i-1}$ 处做 $M$ 步朗之万校正（算法 4/5），信噪比为 $r$：\n$$\\epsilon=2\\alpha_i\\big(r\\,\\|z\\|/\\|s_\\theta(x,t_{i-1})\\|\\big)^2,\\qquad x\\leftarrow x+\\epsilon\\,s_\\theta(x,t_{i-1})+\\sqrt{2\\epsilon}\\,z$$\n（VE 取 $\\alpha_i=1$，VP 取 $1-\\beta_i$）。\n**概率流 ODE**（Song et al. 2021，式 13），给定 $x_T$ 后是确定性的：\n$$dx=\\big[f(x,t)-\\tfrac12 g(t)^2\\,\\nabla_x\\log p_t(x)\\big]dt;\\qquad\\text{VE: }x_{i-1}=x_i+\\tfrac12(\\sigma_i^2-\\sigma_{i-1}^2)\\,s_\\theta(x_i,t_i)$$\nVP：$x_{i-1}=(x_i+s_\\theta)\\,e^{\\frac12\\int_{t_{i-1}}^{t_i}\\beta}-s_\\theta$（线性项精确积分的 Euler 法）。\n一个点要去往哪里（Tweedie）：$\\hat x_0=(x_t+\\sigma_t^2\\,s_\\theta(x_t,t))/\\alpha_t=(x_t-\\sigma_t\\,\\epsilon_\\theta)/\\alpha_t$。',
    'Score field':
        '得分场',
    'noise level t (NCSN: snapped to its levels)':
        '噪声级别 t（NCSN：对齐到它的级别）',
    "σ_t grows with t; at t = 1 the data are drowned in the prior's noise.":
        'σ_t 随 t 增大；t = 1 时数据淹没在先验的噪声里。',
    'Train, and the learned field appears here beside the true one.':
        '训练后，学到的场会显示在这里，旁边是真实的场。',
    'learned field':
        '学到的场',
    'true field of the noised data':
        '加噪数据的真实场',
    'Sampling, frame by frame':
        '逐帧采样',
    'sampler':
        '采样器',
    'annealed Langevin':
        '退火朗之万',
    'probability-flow ODE':
        '概率流 ODE',
    'Euler (flow)':
        'Euler（流）',
    'steps N (NCSN: its L levels)':
        '步数 N（NCSN：它的 L 个级别）',
    'corrector steps M (PC)':
        '校正步数 M (PC)',
    'snr r (PC corrector)':
        '信噪比 snr r（PC 校正）',
    'Langevin step ε (annealed Langevin)':
        '朗之万步长 ε（退火朗之万）',
    'Langevin steps per level T':
        '每级的朗之万步数 T',
    'samples (≤ 2000)':
        '样本数（≤ 2000）',
    'seed (same seed: same x_T)':
        '种子（同一种子：同一个 x_T）',
    "Frame (0 = x_T, the prior's noise; last = result)":
        '帧（0 = x_T，先验的噪声；最后 = 结果）',
    'x_t (red) and the field it follows (arrows)':
        'x_t（红）与它跟随的场（箭头）',
    'where each point is headed (blue)':
        '每个点要去往哪里（蓝）',
    'Export the frames as a GIF':
        '把这些帧导出为 GIF',
    'Corrector & snr':
        '校正 & snr',
    'PC sampling from the same seed for M = 0, 1, 2 Langevin corrector steps and five signal-to-noise ratios r (Song et al. 2021, Alg. 4/5): how far the samples land from held-out data.':
        '从同一种子出发，对 M = 0、1、2 步朗之万校正和五个信噪比 r 做 PC 采样（Song et al. 2021，算法 4/5）：样本离留出数据有多远。',
    'predictor steps N':
        '预测步数 N',
    'Scan corrector steps × snr':
        '扫描 校正步数 × snr',
    'Chamfer distance against snr':
        'Chamfer 距离随 snr 的变化',
    'Straight vs curved paths':
        '直线 vs 弯曲路径',
    "Flow matching regresses onto **straight lines** from noise to data; a score model's probability-flow ODE (and DDIM, DDPM's deterministic sampler) follows the **curved** paths of the noising process. The button trains the other kind of model on the same data (a VP-SDE score model if this run is flow matching, a flow-matching model otherwise; same width, learning rate and seed) and draws both models' deterministic paths from the same noise z (60 samples, 50 steps; VE/NCSN start at σ_max z). Straightness = ‖end − start‖ / path length: 1 is a straight line.":
        '流匹配回归的是从噪声到数据的 **直线**；得分模型的概率流 ODE（以及 DDIM，即 DDPM 的确定性采样器）沿着加噪过程的 **弯曲** 路径走。这个按钮在同样的数据上训练另一种模型（如果本次运行是流匹配，就训练 VP-SDE 得分模型，否则训练流匹配模型；宽度、学习率和种子相同），并从同一噪声 z 画出两个模型的确定性路径（60 个样本，50 步；VE/NCSN 从 σ_max z 出发）。直度 = ‖终点 − 起点‖ / 路径长度：1 为直线。',
    'training steps of the other model':
        '另一个模型的训练步数',
    'Train the other model and compare paths':
        '训练另一个模型并比较路径',
    'sample paths from the same noise':
        '从同一噪声出发的样本路径',
    # Compare
    'latent diffusion (images)':
        '潜在扩散（图像）',
    'Latent diffusion (Rombach et al. 2022), images only: the run first trains a small autoencoder on the spot, then diffuses its latent codes and decodes the samples.':
        '潜在扩散（Rombach et al. 2022），仅限图像：运行时先当场训练一个小自编码器，再在它的潜在编码上做扩散，并解码样本。',
    'autoencoder steps (latent)':
        '自编码器步数（潜在）',
    'Steps of the autoencoder stage latent diffusion starts with (0: no autoencoder, which latent diffusion refuses).':
        '潜在扩散开始前自编码器阶段的步数（0：没有自编码器，潜在扩散会拒绝）。',
    'latent size d (latent)':
        '潜变量维度 d（潜在）',
    'Size d of the latent code the diffusion runs on.':
        '扩散所在的潜在编码的维度 d。',
    'autoencoder width (latent)':
        '自编码器宽度（潜在）',
    "Width of the autoencoder's two hidden layers.":
        '自编码器两个隐藏层的宽度。',
    'Compare':
        '比较',
    "**Which family wins on this data, and why?** Tick the families, give each the same budget and press **🏁 Race**: they train one after another with their tabs' default settings, and each is scored 4 times along the way on 500 samples. **Why not the usual Inception network?** Its weights can't be downloaded here and mean nothing on 8×8 digits. So the features are those of a small conv classifier trained on this data set (its held-out accuracy is shown: the scores mean something only if it is high). FID and KID: lower is better (0 = the real test set's own statistics); precision: share of samples that look real; recall: share of real images the samples cover (high precision with low recall = mode dropping); IS: higher is better, at most the number of classes.":
        '**在这份数据上哪个家族胜出，为什么？** 勾选要比较的家族，给每个同样的预算，按 **🏁 比赛**：它们以各自标签页的默认设置依次训练，途中各打分 4 次，每次 500 个样本。**为什么不用常见的 Inception 网络？** 这里无法下载它的权重，而且它对 8×8 的数字没有意义。所以特征取自在这个数据集上训练的一个小卷积分类器（显示其留出集准确率：只有准确率高，这些分数才有意义）。FID 和 KID：越低越好（0 = 真实测试集自身的统计量）；精确率：看起来真实的样本所占比例；召回率：样本覆盖的真实图像所占比例（精确率高而召回率低 = 丢失模式）；IS：越高越好，最多等于类别数。',
    '🏁 Race':
        '🏁 比赛',
    'Pick the data and the families, then press **🏁 Race**.':
        '选好数据和家族，再按 **🏁 比赛**。',
    'Families to race':
        '参赛的家族',
    'VQ-VAE (no prior)':
        'VQ-VAE（无先验）',
    'DDPM (DDIM-20 sampling)':
        'DDPM（DDIM-20 采样）',
    'Score (VE SDE)':
        '得分模型 (VE SDE)',
    'Flow matching':
        '流匹配',
    'Budget in':
        '预算单位',
    'seconds':
        '秒',
    'steps':
        '步',
    'Budget per family':
        '每个家族的预算',
    'Seconds (1–300) or steps (1–100,000) of training for each family.':
        '每个家族训练的秒数（1–300）或步数（1–100,000）。',
    'Results (FID, KID ↓ better; precision, recall, IS ↑)':
        '结果（FID、KID ↓ 越低越好；精确率、召回率、IS ↑）',
    'Samples, one family each':
        '样本，每个家族一组',
    'FID against training time':
        'FID 随训练时间的变化',
    'The table as CSV':
        'CSV 格式的表格',
    'Show the last race':
        '显示上一场比赛',
    # Later
    '📌 Pin this run':
        '📌 固定这次运行',
    'Unpin all':
        '全部取消固定',
    'Pinned runs: their samples when pinned (their curves are the faint lines)':
        '固定的运行：固定时的样本（它们的曲线是淡色的线）',
    'Classifier guidance (moons)':
        '分类器引导（双月）',
    'Latent diffusion (digits)':
        '潜在扩散（digits）',
    'Latent diffusion':
        '潜在扩散',
    '**Latent diffusion** (Rombach et al. 2022): tick *latent diffusion (images)*; the run first trains a small autoencoder on the spot for *autoencoder steps*, then runs DDPM on its d-dimensional codes (eq. 9–10 with $z_0=(E(x)-m)/s$, the encoder frozen) and decodes every sample, $x=D(s\\,z_0+m)$. The autoencoder, $(m, s)$ and the codes are stored with the run (export, import and continue keep them). Not done yet: borrowing your own run from the Autoencoders or VAE tab.':
        '**潜在扩散**（Rombach et al. 2022）：勾选 *潜在扩散（图像）*；运行时先当场把一个小自编码器训练 *自编码器步数* 步，再在它的 d 维编码上运行 DDPM（式 9–10，其中 $z_0=(E(x)-m)/s$，编码器冻结），并解码每个样本，$x=D(s\\,z_0+m)$。自编码器、$(m, s)$ 和编码都随运行保存（导出、导入和继续训练都会保留它们）。尚未实现：借用你在自编码器或 VAE 标签页中的运行。',
    'Latent codes of the data (PCA)':
        '数据的潜在编码（PCA）',
    'Diffusion samples in latent space (same PCA)':
        '潜在空间中的扩散样本（同一个 PCA）',
    'Inputs (top) · autoencoder reconstructions D(E(x)) (bottom)':
        '输入（上）· 自编码器重构 D(E(x))（下）',
    'Compare speed with pixel-space diffusion':
        '与像素空间扩散比较速度',
    "Flow matching regresses onto **straight lines** from noise to data; a score model's probability-flow ODE (and DDIM, DDPM's deterministic sampler) follows the **curved** paths of the noising process. The button trains the other kind of model on the same data (a VP-SDE score model if this run is flow matching, a flow-matching model otherwise; same width, learning rate and seed) and draws both models' deterministic paths from the same noise z (60 samples, 50 steps; VE/NCSN start at σ_max z). Straightness = ‖end − start‖ / path length: 1 is a straight line.  \nWhich is straighter is measured here, not assumed. Each *training* path of flow matching is straight, but noise and data are paired at random, so the learned flow bends where those lines cross: at t = 0 every point heads for the data's mean (v(z, 0) = E[x₁] − z) and turns towards its own target later. On the 2D sets, about as wide as N(0, I), that bend is as large as the VP ODE's (which starts almost at rest, s ≈ −x at t = 1); Liu et al.'s *reflow* (retraining on the flow's own noise–sample pairs) is what straightens it (not built here).":
        '流匹配回归的是从噪声到数据的 **直线**；得分模型的概率流 ODE（以及 DDIM，即 DDPM 的确定性采样器）沿着加噪过程的 **弯曲** 路径走。这个按钮在同样的数据上训练另一种模型（如果本次运行是流匹配，就训练 VP-SDE 得分模型，否则训练流匹配模型；宽度、学习率和种子相同），并从同一噪声 z 画出两个模型的确定性路径（60 个样本，50 步；VE/NCSN 从 σ_max z 出发）。直度 = ‖终点 − 起点‖ / 路径长度：1 为直线。  \n哪个更直是在这里测出来的，而不是假定的。流匹配的每条 *训练* 路径都是直的，但噪声和数据是随机配对的，所以学到的流在这些直线交叉处会弯曲：t = 0 时每个点都朝数据的均值走（v(z, 0) = E[x₁] − z），之后才转向自己的目标。在大约与 N(0, I) 一样宽的二维数据集上，这个弯曲与 VP ODE 的一样大（后者几乎从静止出发，t = 1 时 s ≈ −x）；Liu et al. 的 *reflow*（在流自己的噪声–样本对上重新训练）才能把它拉直（这里没有实现）。',
}
