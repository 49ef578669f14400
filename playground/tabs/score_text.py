"""Words of the score tab: the equation it trains, each objective's process and each sampler's update, presets."""
from __future__ import annotations

SAMPLER_CHOICES = {"annealed Langevin": "ald", "PC": "pc", "probability-flow ODE": "ode", "Euler (flow)": "euler"}

EQUATION = r"""
### What it trains: denoising score matching (Song et al. 2021, eq. 7; Song & Ermon 2019, eq. 5–6)
$$\theta^*=\arg\min_\theta\ \mathbb{E}_t\Big\{\lambda(t)\,\mathbb{E}_{x_0}\mathbb{E}_{x_t\mid x_0}
\big\|s_\theta(x_t,t)-\nabla_{x_t}\log p_{0t}(x_t\mid x_0)\big\|_2^2\Big\}\qquad(7)$$
$p_{0t}(x_t\mid x_0)=\mathcal{N}(\alpha_t x_0,\ \sigma_t^2 I)$, so $\nabla_{x_t}\log p_{0t}=-(x_t-\alpha_t x_0)/\sigma_t^2=-z/\sigma_t$;
weight $\lambda(t)=\sigma_t^2$ (NCSN: $\lambda(\sigma)=\sigma^2$ and a ½).

**ε-prediction and the score** (Ho et al. 2020, §3.2 and §3.4): the network predicts the noise and
$s_\theta(x,t)=-\epsilon_\theta(x,t)/\sigma_t$ — so $\sigma_t^2\|s_\theta+z/\sigma_t\|^2=\|\epsilon_\theta(x_t,t)-z\|^2$,
DDPM's loss (eq. 10 of the Diffusion tab; Ho et al. 2020, eq. 14).

**Flow matching** (Lipman et al. 2023, eq. 23 with $\sigma_{\min}=0$; rectified flow, Liu et al. 2022, eq. 1), objective *flow*:
$$\min_\theta\ \mathbb{E}_{t\sim U[0,1],\,x_0\sim\mathcal N(0,I),\,x_1\sim\text{data}}
\big\|v_\theta\big((1-t)\,x_0+t\,x_1,\ t\big)-(x_1-x_0)\big\|^2$$
"""

PROCESS = {
    "ncsn": (r"**NCSN** (Song & Ermon 2019): $L$ levels $\sigma_i=\sigma_{\max}(\sigma_{\min}/\sigma_{\max})^{(i-1)/(L-1)}$, "
             r"$\tilde x=x+\sigma_i z$;" "\n"
             r"$$\ell(\theta;\sigma)=\tfrac12\,\mathbb{E}\big\|s_\theta(\tilde x,\sigma)+(\tilde x-x)/\sigma^2\big\|^2\ (5),"
             r"\qquad\mathcal{L}=\tfrac1L\textstyle\sum_i\sigma_i^2\,\ell(\theta;\sigma_i)\ (6)$$" "\n"
             "It is the VE SDE seen at L points of its clock (Song et al. 2021, §3.4): every sampler below runs on "
             "those L levels."),
    "ve": (r"**VE SDE** (Song et al. 2021, eq. 9): $dx=\sqrt{\tfrac{d[\sigma^2(t)]}{dt}}\,dw$, "
           r"$\sigma(t)=\sigma_{\min}(\sigma_{\max}/\sigma_{\min})^t$; $p_{0t}=\mathcal N(x_0,\sigma(t)^2I)$, "
           r"prior $\mathcal N(0,\sigma_{\max}^2 I)$."),
    "vp": (r"**VP SDE** (Song et al. 2021, eq. 11): $dx=-\tfrac12\beta(t)\,x\,dt+\sqrt{\beta(t)}\,dw$, "
           r"$\beta(t)=\beta_{\min}+t(\beta_{\max}-\beta_{\min})$; $p_{0t}=\mathcal N\big(x_0e^{-\frac12\int_0^t\beta},"
           r"\ (1-e^{-\int_0^t\beta})I\big)$ (App. B), prior $\mathcal N(0,I)$; DDPM is its discretisation."),
}

SAMPLERS = r"""
### How it samples
**Annealed Langevin** (Song & Ermon 2019, Alg. 1), levels $\sigma_1>\dots>\sigma_L$, $T$ steps each:
$$\alpha_i=\epsilon\,\sigma_i^2/\sigma_L^2,\qquad x\leftarrow x+\tfrac{\alpha_i}{2}\,s_\theta(x,\sigma_i)+\sqrt{\alpha_i}\,z$$
**PC sampling** (Song et al. 2021, Alg. 2/3): the reverse SDE (eq. 6)
$dx=[f(x,t)-g(t)^2\nabla_x\log p_t(x)]\,dt+g(t)\,d\bar w$, discretised (Euler–Maruyama, $g^2$ integrated over the step):
$$\text{VE: }x_{i-1}=x_i+(\sigma_i^2-\sigma_{i-1}^2)\,s_\theta(x_i,t_i)+\sqrt{\sigma_i^2-\sigma_{i-1}^2}\,z
\qquad\text{VP: }x_{i-1}=\tfrac{1}{\sqrt{1-\beta_i}}\big(x_i+\beta_i\,s_\theta(x_i,t_i)\big)+\sqrt{\beta_i}\,z$$
($\beta_i=1-e^{-\int_{t_{i-1}}^{t_i}\beta}$; Alg. 3 writes $(2-\sqrt{1-\beta_i})\,x_i$, the first-order form), then $M$
Langevin corrector steps at $t_{i-1}$ (Alg. 4/5) with signal-to-noise ratio $r$:
$$\epsilon=2\alpha_i\big(r\,\|z\|/\|s_\theta(x,t_{i-1})\|\big)^2,\qquad x\leftarrow x+\epsilon\,s_\theta(x,t_{i-1})+\sqrt{2\epsilon}\,z$$
($\alpha_i=1$ for VE, $1-\beta_i$ for VP).
**Probability-flow ODE** (Song et al. 2021, eq. 13), deterministic given $x_T$:
$$dx=\big[f(x,t)-\tfrac12 g(t)^2\,\nabla_x\log p_t(x)\big]dt;\qquad\text{VE: }x_{i-1}=x_i+\tfrac12(\sigma_i^2-\sigma_{i-1}^2)\,s_\theta(x_i,t_i)$$
VP: $x_{i-1}=(x_i+s_\theta)\,e^{\frac12\int_{t_{i-1}}^{t_i}\beta}-s_\theta$ (Euler with the linear term integrated exactly).
Where a point is headed (Tweedie): $\hat x_0=(x_t+\sigma_t^2\,s_\theta(x_t,t))/\alpha_t=(x_t-\sigma_t\,\epsilon_\theta)/\alpha_t$.
"""

FLOW = r"""
### How it samples: Euler steps of the learned ODE (Liu et al. 2022, §2.1)
$$\frac{dx_t}{dt}=v_\theta(x_t,t),\ x_0\sim\mathcal N(0,I):\qquad x_{t+h}=x_t+h\,v_\theta(x_t,t)$$
Where a point is headed: $\hat x_1=x_t+(1-t)\,v_\theta(x_t,t)$. The training paths are straight; the learned ODE's
paths are straight where the conditional paths do not cross (see "Straight vs curved paths").
"""


def equation_for(objective: str) -> str:
    """The process of the objective in use and its samplers' update equations."""
    if objective == "flow":
        return FLOW
    return PROCESS.get(objective, "") + "\n" + SAMPLERS


PRESETS = {
    "NCSN + annealed Langevin (moons)": (
        "moons", dict(objective="ncsn", levels=10, hidden=64, batch_size=128),
        "10 noise levels from σ = 4 down to 0.01; the live samples use PC on those 10 levels (one corrector step "
        "each). In 'Sampling, frame by frame' pick annealed Langevin (T = 20 steps a level) and watch the cloud "
        "shrink level by level; the probability-flow ODE on only 10 levels lands farther from the data (compare "
        "the Chamfer distances listed there)."),
    "VE SDE score vs the true score (ring of 8)": (
        "ring of 8", dict(objective="ve", hidden=64, batch_size=128),
        "the ring of 8 is a Gaussian mixture, so its noised score is known exactly: move the noise-level slider "
        "and compare the learned arrows with the true ones (the cosine printed above them). At large σ both point "
        "to the ring's centre; at small σ to the nearest mode."),
    "PC sampling: corrector steps and snr (moons, VP)": (
        "moons", dict(objective="vp", hidden=64, batch_size=128),
        "the VP SDE (DDPM's continuous limit). Then open 'Corrector & snr' and scan: M = 0 is the reverse SDE "
        "alone. Measured on this preset after 1,500 steps (N = 30, 400 samples): Chamfer 0.082 with no corrector, "
        "0.063 with M = 2 and r = 0.5 — each corrector step costs one more network call per level, so compare "
        "with simply taking more predictor steps N."),
    "Flow matching: straight paths (moons)": (
        "moons", dict(objective="flow", hidden=64, batch_size=128),
        "a velocity field trained on straight lines from noise to data, sampled with 20 Euler steps. Then "
        "'Straight vs curved paths' trains a VP score model next to it and draws both models' deterministic paths "
        "from the same noise, with their straightness (measured: on moons the learned flow bends about as much "
        "as the VP ODE; the text there says why)."),
}
