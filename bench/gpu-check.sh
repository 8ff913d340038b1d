#!/usr/bin/env bash
# One short, prepared check of the webgpu backend on a machine with a real GPU
# (nothing in the project depends on it): what the engine sees, the training
# step benchmark on webgpu beside wasm and PyTorch, and one quickstart-sized
# training run on webgpu and on wasm, timed. About 10 minutes on a GPU machine.
#
#   npm ci && bash bench/gpu-check.sh [results-dir]
#
# Needs the GPU's Vulkan driver (README: GPU training); PyTorch (Debian
# python3-torch) is optional.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/labelsweep-gpu-check}
mkdir -p "$out"

npm run build >/dev/null
uptime
node bin/labelsweep.js doctor --backend webgpu | tee "$out/doctor.txt"
nvidia-smi --query-gpu=index,name,driver_version,memory.total --format=csv 2>/dev/null | tee "$out/nvidia-smi.txt" || true

node bench/train-step.mjs --backend webgpu --threads 1 --steps 10 --rounds 2 --json "$out/train-step.json" | tee "$out/train-step.txt"

# One run of the quickstart (ssd-lite, 10 % budget, 400 iterations) on each backend.
for backend in webgpu wasm; do
  start=$(date +%s)
  node bin/labelsweep.js train experiments/quickstart.yaml --backend "$backend" --results "$out/results-$backend" --every 100 \
    | tee "$out/quickstart-$backend.txt"
  echo "quickstart on $backend: $(( $(date +%s) - start )) s" | tee -a "$out/quickstart-$backend.txt"
done
uptime
echo "figures in $out"
