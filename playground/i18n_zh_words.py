"""English → 简体中文: the one-line captions under the figures (playground/captions.py) and the references
section (playground/references.py). Keys are the exact English the page shows; terms follow the class notes."""

from .references import TITLE, TITLE_ZH, markdown

ZH: dict[str, str] = {
    TITLE: TITLE_ZH,
    markdown().strip(): markdown(zh=True).strip(),
    "Each loss term against training steps: thin lines every few steps, dots at each epoch's end; faint lines are pinned runs.":
        '每个损失项随训练步数的变化：细线为每隔几步的值，圆点为每个 epoch 结束时的值；淡色的线是固定的运行。',
    'One row of samples per pinned run, made when it was pinned: compare them with the live samples.':
        '每个固定的运行一行样本，生成于固定它的时候：与当前的样本对比。',
    'FID against steps and against training seconds, then precision (solid) and recall (dashed) against steps: FID lower is better, precision and recall higher.':
        'FID 随步数和随训练秒数的变化，然后是精确率（实线）和召回率（虚线）随步数的变化：FID 越低越好，精确率和召回率越高越好。',
    "Real test images (dots) and generated samples (crosses) in the classifier's features: samples that cover the real cloud have high recall, samples inside it high precision.":
        '真实测试图像（圆点）和生成样本（叉号）在分类器特征中的位置：覆盖真实点云的样本召回率高，落在点云内部的样本精确率高。',
    "Top row: inputs (noisy ones for the denoising AE); middle: the AE's outputs; bottom (DAE): the clean images it should recover.":
        '第一行：输入（去噪 AE 为加噪后的输入）；中间：AE 的输出；最下一行（DAE）：它应恢复的干净图像。',
    'Each dot is one test image placed by its code (PCA, or t-SNE after the button); colour and shape give its class (legend below). Hover, tap or Tab to a dot to see the image.':
        '每个点是一张测试图像，按其编码放置（PCA，或按下按钮后的 t-SNE）；颜色和形状表示类别（图例在下方）。悬停、轻触或用 Tab 键选中一个点即可看到图像。',
    'How often each code value occurs over the test images: a tall bar at 0 means a sparse code.':
        '各编码取值在测试图像上出现的频数：0 处的高柱表示稀疏编码。',
    'Mean activation ρ̂ⱼ of each code unit over the test images (KL sparsity: the dashed line is the target ρ).':
        '每个编码单元在测试图像上的平均激活 ρ̂ⱼ（KL 稀疏：虚线为目标 ρ）。',
    'How far the code moves when the input is nudged by ε: a flatter curve means a more contractive (robust) code.':
        '输入被扰动 ε 时编码移动多远：曲线越平，编码越具收缩性（越稳健）。',
    'Four rows of decoded codes: a straight line from image a to b (AE, then VAE), then random codes (AE, then VAE); blurry or broken digits show holes in the code space.':
        '四行解码结果：从图像 a 到 b 的直线（先 AE，后 VAE），然后是随机编码（先 AE，后 VAE）；模糊或残缺的数字说明编码空间中有空洞。',
    'Histograms of reconstruction error for digits seen in training and for held-out digits: the less they overlap (higher ROC AUC), the better the error flags anomalies.':
        '训练中见过的数字与留出数字的重构误差直方图：二者重叠越少（ROC AUC 越高），重构误差越能标出异常。',
    "Rows 1 and 3 are test images; the row under each is the model's reconstruction of it: the closer, the better.":
        '第 1、3 行是测试图像；各自下面一行是模型对它的重构：越接近越好。',
    'Images decoded from codes drawn from the prior: what the model generates (one column per class for a CVAE).':
        '由从先验抽取的编码解码出的图像：模型生成的内容（CVAE 为每个类别一列）。',
    'KL of each latent dimension, averaged over test images: dimensions near 0 are unused (collapsed to the prior); grey bars fall under the threshold.':
        '每个潜在维度的 KL（在测试图像上平均）：接近 0 的维度没有被使用（坍缩到先验）；灰色柱低于阈值。',
    "Each row: one latent dimension swept from −3 to 3 while the others stay at a test image's code; a row that changes one feature is a disentangled dimension.":
        '每行：一个潜在维度从 −3 扫到 3，其余维度保持为某张测试图像的编码；只改变一个特征的行就是一个解耦的维度。',
    'Left to right: images decoded along a straight line in z from test image a to test image b.':
        '从左到右：沿 z 中从测试图像 a 到测试图像 b 的直线解码出的图像。',
    'Images decoded on a 15×15 grid of a 2-D code z (Gaussian quantiles; z₁ grows to the right, z₂ upwards): neighbouring cells should change smoothly.':
        '在二维编码 z 的 15×15 网格上解码出的图像（高斯分位数；z₁ 向右增大，z₂ 向上增大）：相邻格子应平滑变化。',
    'Images decoded from codes drawn from the prior: what the chosen variant generates.':
        '由从先验抽取的编码解码出的图像：所选变体生成的内容。',
    "The same codes decoded by a plain VAE trained beside it: compare sharpness with the VAE-GAN's samples.":
        '同样的编码由一同训练的普通 VAE 解码：与 VAE-GAN 的样本比较清晰度。',
    "Codes of test images (coloured and shaped by class) over samples of the prior (grey), with the discriminator's verdict behind: codes should fill the prior's shape.":
        '测试图像的编码（按类别着色并区分形状）叠在先验样本（灰色）上，背后是判别器的判断：编码应填满先验的形状。',
    "Each row: one code dimension swept across the prior's range while the others stay fixed.":
        '每行：一个编码维度扫过先验的范围，其余维度保持不变。',
    'Left to right: images decoded along a straight line in the code from test image a to test image b.':
        '从左到右：沿编码中从测试图像 a 到测试图像 b 的直线解码出的图像。',
    'Each row is one categorical variable, each column a category; deeper blue means more probability: at low τ each row is nearly one-hot.':
        '每行是一个类别变量，每列是一个类别；蓝色越深概率越大：τ 低时每行几乎是 one-hot。',
    'An input, its decoding at the chosen τ, then at τ from 0.05 to 10 with the same noise: low τ is sharp and discrete.':
        '一张输入、它在所选 τ 下的解码，然后是 τ 从 0.05 到 10、噪声相同的解码：τ 低时清晰而离散。',
    'Top: an input, the image decoded from its code, and from the code with one variable flipped; bottom: that variable set to each category in turn.':
        '上：一张输入、由它的编码解码出的图像，以及由翻转一个变量后的编码解码出的图像；下：该变量依次取每个类别。',
    'How often each code was chosen in the last epoch, most used first; grey bars are dead codes (never chosen).':
        '上一个 epoch 中每个码被选中的次数，最常用的在前；灰色柱是死码（从未被选中）。',
    'Codes in use (large dots), dead codes (crosses) and encoder outputs (small grey dots) on one PCA: a dead code lies away from the outputs, so nothing picks it.':
        '使用中的码（大圆点）、死码（叉号）和编码器输出（灰色小点）在同一个 PCA 中：死码远离编码器输出，所以没有输出选中它。',
    'The grid of code indices for one test image: each cell is the codebook entry chosen there.':
        '一张测试图像的码索引网格：每个格子是该处选中的码本条目。',
    "The input, its reconstruction, the image decoded after changing one cell's code, and the change ×3.":
        '输入、它的重构、改变一个格子的码后解码出的图像，以及放大 3 倍的变化。',
    "Test images, decoded with all codes, then with each cell's code replaced by the nearest of the N most used.":
        '测试图像：用全部码解码，再把每个格子的码换成最常用的 N 个码中最近的一个后解码。',
    'Held-out reconstruction error as fewer codes are kept: where it starts to rise, the rarer codes matter.':
        '保留的码越来越少时的留出集重构误差：误差开始上升的地方，较少用的码开始起作用。',
    'The 8 test images hurt most by switching the chosen codes off: inputs, before, after.':
        '关掉所选的码后受影响最大的 8 张测试图像：输入、之前、之后。',
    'VQ-VAE-2: an image decoded with the top or bottom level zeroed or redrawn, to see what each level carries.':
        'VQ-VAE-2：把顶层或底层置零或重新抽取后解码的图像，看每一层携带了什么。',
    'Images decoded from code maps drawn cell by cell, independently: what sampling looks like without a prior.':
        '由逐格独立抽取的码图解码出的图像：没有先验时采样的样子。',
    "The prior's loss, −log p of each code given the codes before it, in nats per code: lower means it predicts codes better.":
        '先验的损失：在给定之前的码时每个码的 −log p，单位为每个码的 nats：越低表示它预测码越准。',
    'Images decoded from code maps sampled from the trained prior, one code at a time.':
        '由训练好的先验逐个码采样出的码图解码出的图像。',
    "Background: D's verdict (green: looks real, purple: looks fake); green dots: real data; purple crosses: G's samples; arrows: where G's loss pushes each sample.":
        '背景：D 的判断（绿色：像真的，紫色：像假的）；绿色圆点：真实数据；紫色叉号：G 的样本；箭头：G 的损失把每个样本推向哪里。',
    "G's images from the same fixed noise every frame: watch the same samples sharpen as training goes on.":
        '每帧用同一组固定噪声生成的 G 的图像：看同一批样本随训练变清晰。',
    "Histograms of D's scores on real and generated samples: well apart, D wins; on top of each other, G fools D.":
        'D 在真实样本和生成样本上的得分直方图：分得很开说明 D 占上风；重叠在一起说明 G 骗过了 D。',
    'Grey: the training points; red: samples the model draws now. Red covering every grey part means it learned the whole distribution.':
        '灰色：训练点；红色：模型当前抽取的样本。红色覆盖所有灰色部分，说明它学到了整个分布。',
    'Images the model generates now (20 DDIM steps from the same noise each time).':
        '模型当前生成的图像（20 步 DDIM，每次从同一噪声出发）。',
    "β_t, ᾱ_t and the signal-to-noise ratio against t for both schedules; thick lines: the schedule in use; the marker: the forward-process slider's t.":
        '两种调度下 β_t、ᾱ_t 和信噪比随 t 的变化；粗线：正在使用的调度；标记：前向过程滑块的 t。',
    'The data after t steps of noise (eq. 9): by the last t it is indistinguishable from a Gaussian.':
        '加噪 t 步后的数据（式 9）：到最后一个 t 时已与高斯分布无法区分。',
    'Images after t steps of noise (eq. 9): by the last t nothing of the digit is left.':
        '加噪 t 步后的图像（式 9）：到最后一个 t 时数字已荡然无存。',
    "The autoencoder's codes of the data, on the first two principal components.":
        '自编码器对数据的编码，画在前两个主成分上。',
    "Codes sampled by the diffusion model, on the same axes: they should cover the data's codes.":
        '扩散模型采样出的编码，画在同样的坐标轴上：它们应覆盖数据的编码。',
    "Top: inputs; bottom: the autoencoder's reconstructions D(E(x)), the best latent diffusion can do.":
        '上：输入；下：自编码器的重构 D(E(x))，即潜在扩散所能达到的最好效果。',
    'One reverse step: the points x_t (red) and, as arrows, the noise ε̂ the network predicts there (or the score, ∝ −ε̂, if chosen).':
        '一个反向步：点 x_t（红色），箭头为网络在该处预测的噪声 ε̂（若选择得分，则为 ∝ −ε̂ 的得分）。',
    'Where each point would land if the predicted noise were removed at once: x̂₀ from eq. 9.':
        '如果一次性去掉预测的噪声，每个点会落到哪里：由式 9 得到的 x̂₀。',
    'The images x_t at this reverse step: noise at the start, digits at the end.':
        '这一反向步的图像 x_t：开始是噪声，最后是数字。',
    'The noise the network predicts in each image at this step (grey is zero).':
        '网络在这一步对每张图像预测的噪声（灰色为 0）。',
    'The clean images the network guesses from x_t at this step: they sharpen as t falls.':
        '网络在这一步由 x_t 猜出的干净图像：随着 t 减小而变清晰。',
    'Against the guidance scale w: spread of the samples (mean pairwise distance) and their Chamfer distance to the data: more guidance, less variety.':
        '随引导强度 w 的变化：样本的分散程度（平均两两距离）以及它们到数据的 Chamfer 距离：引导越强，多样性越少。',
    'The learned score s_θ at this noise level: arrows point towards more likely data.':
        '该噪声水平下学到的得分 s_θ：箭头指向概率更高的数据。',
    'The true score of the noised data at this level, for comparison: the closer the two fields, the better.':
        '该水平下加噪数据的真实得分，用于对比：两个场越接近越好。',
    'One step of the sampler: the points (red) and the field that moves them.':
        '采样器的一步：点（红色）以及推动它们的场。',
    'The clean point each sample is heading to, estimated from the score at this step.':
        '每个样本正前往的干净点，由这一步的得分估计。',
    'Distance of the samples from held-out data for each corrector setting: lower is better; each line is a number of Langevin corrector steps.':
        '每种校正设置下样本到留出数据的距离：越低越好；每条线对应一种朗之万校正步数。',
    "Paths from the same starting noise to samples: flow matching (straight) against the score model's probability-flow ODE (curved).":
        '从同一起始噪声到样本的路径：流匹配（直线）对比得分模型的概率流 ODE（曲线）。',
    'The test sequence, frame by frame: the model sees the frames up to t and predicts the rest.':
        '测试序列，逐帧：模型看到 t 之前（含 t）的帧，并预测其余部分。',
    'Top row: frame t, then the true frames at t + jump, t + 2·jump, …; each row below: one future the model rolls out from its belief at t.':
        '第一行：第 t 帧，然后是 t + jump、t + 2·jump、… 处的真实帧；下面每一行：模型从 t 时刻的信念推演出的一个未来。',
    'Blue: the values seen up to t; orange diamonds: the truth after t; purple: possible futures jumped to from the belief at t (band: mean ± 2 std).':
        '蓝色：t 之前看到的值；橙色菱形：t 之后的真实值；紫色：从 t 时刻的信念跳跃得到的可能未来（带状区域：均值 ± 2 个标准差）。',
    'Samples of each raced family after its budget, side by side.':
        '每个参赛模型族用完预算后的样本，并排展示。',
    "Each family's FID against training seconds: lower is better; the lowest curve at the right wins.":
        '每个模型族的 FID 随训练秒数的变化：越低越好；右端最低的曲线获胜。',
}
