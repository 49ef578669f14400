#!/usr/bin/env bash
# The CUDA check, as one prepared script for a lent GPU machine (no internet there; its image has
# PyTorch, pytest, torchvision, scikit-learn, safetensors but not Gradio). What it runs, each step with
# its own time limit so one hang cannot eat the lease, logs under $OUT (or bench/gpu-logs here):
#   1. the device: nvidia-smi, torch and CUDA versions;
#   2. the trainers' tests (no Gradio) where every Run picks CUDA by itself ("auto");
#   3. bench/devices.py: steps/s of every family on CPU (1 and 2 threads) and CUDA, with torch.compile;
#   4. the app itself on CUDA, launched by the test fixture, through gradio_client, and a forked burst
#      that trains on the GPU (tests/test_zerogpu.py);
#   5. the ZeroGPU stand-in's tests that train in the test process between bursts, with the GPU hidden
#      as ZeroGPU's web process has it (CUDA_VISIBLE_DEVICES=""; tests/test_zerogpu.py says why).
#   6. steps/s of three image families, default settings, on MNIST (28×28) instead of 8×8 digits.
# STEPS="trainers app" runs only those steps (names: trainers devices app hidden mnist); TRAINER_TESTS and
# APP_TESTS replace the test lists; COMPILE=--compile adds torch.compile to step 3.
# Gradio and its few missing dependencies travel as wheels in .whl/ (see bench/README.md, "On a GPU").
#
#     bash bench/gpu_check.sh            # on the GPU machine, from the repository root
set -u
OUT=${OUT:-bench/gpu-logs}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 GRADIO_ANALYTICS_ENABLED=False PLAYGROUND_MNIST=offline
want() { [[ " ${STEPS:-trainers devices app hidden mnist} " == *" $1 "* ]]; }
if ls .whl/*.whl >/dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
        && export PYTHONPATH=/tmp/site
fi
step() {   # step NAME SECONDS COMMAND...: run with a time limit, log to $OUT/NAME.log, print its tail
    local name=$1 limit=$2; shift 2
    local t0=$SECONDS
    timeout -k 5 "$limit" "$@" >"$OUT/$name.log" 2>&1
    local rc=$?
    echo "== $name: rc=$rc in $((SECONDS - t0)) s"
    tail -n "${TAIL:-12}" "$OUT/$name.log"
}
TRAINER_TESTS=${TRAINER_TESTS:-"tests/test_ae.py tests/test_checkpoint.py tests/test_data.py tests/test_diffusion.py
  tests/test_diffusion_checks.py tests/test_diffusion_guidance.py tests/test_diffusion_latent.py
  tests/test_history.py tests/test_loop_lazy.py tests/test_quality.py tests/test_run_travels.py
  tests/test_score.py tests/test_tdvae.py tests/test_vae_priors.py tests/test_vaevariants.py
  tests/test_vqvae_prior_export.py tests/test_vae.py tests/test_gan.py tests/test_gan_ring.py
  tests/test_vqvae.py tests/test_vqvae_pixelcnn.py"}
APP_TESTS=${APP_TESTS:-"tests/test_zerogpu.py tests/test_app_vae.py tests/test_app_diffusion.py tests/test_hosting.py"}
TAIL=6 step device 60 bash -c 'nvidia-smi -L; python3 -c "import torch, sys; print(sys.version.split()[0], torch.__version__, torch.version.cuda, torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else None)"'
XDIST=""; python3 -c "import xdist" 2>/dev/null && XDIST="-n ${WORKERS:-14}"
# one torch thread per test worker: 14 workers × 16 threads on 16 cores starved the CPU-bound tests
want trainers && TAIL=40 OMP_NUM_THREADS=1 step trainers "${TRAINERS_LIMIT:-200}" python3 -m pytest -q -p no:cacheprovider --timeout 90 $XDIST -rfE \
    --tb=short --durations=10 --junitxml "$OUT/trainers.xml" $TRAINER_TESTS
want devices && TAIL=45 step devices "${DEVICES_LIMIT:-150}" python3 bench/devices.py --reps 3 --block 0.5 ${COMPILE:-}
want app && TAIL=40 step app "${APP_LIMIT:-200}" python3 -m pytest -q -p no:cacheprovider --timeout 120 -rfE --tb=short \
    --junitxml "$OUT/app.xml" $APP_TESTS
want hidden && TAIL=20 CUDA_VISIBLE_DEVICES= step hidden "${HIDDEN_LIMIT:-120}" python3 -m pytest -q -p no:cacheprovider --timeout 100 \
    -rfE --tb=short --junitxml "$OUT/hidden.xml" tests/test_bursts.py tests/test_zerogpu.py
want mnist && TAIL=16 step mnist "${MNIST_LIMIT:-100}" python3 bench/devices.py --families vae vqvae diffusion --data mnist \
    --reps 2 --block 0.5
