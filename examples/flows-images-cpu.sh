#!/usr/bin/env bash
# Glow with learned priors on MNIST or Fashion-MNIST, trained on one CPU thread in about 4 CPU-minutes,
# beside its PyTorch twin (bench/reference/flows_images.py: the same initial weights, data order,
# dequantization noise, learning rates, clipping and EMA), both scored by genlab's own eval
# (test bits/dim; Fréchet distance of the classifier features at T = 0.6, 0.7, 0.8, 1).
#
#   examples/flows-images-cpu.sh mnist [work dir]           # or fashion-mnist
#   npx tsx bench/flows_cpu_pictures.ts <work dir> docs/img  # loss curves and samples over training
#
# The training command alone (the config of the README's table):
#   genlab train glow --data mnist --steps 1500 --batch 32 \
#     --config imageLayers=8,imageHidden=64,warmup=200,clipGrad=50,ema=0.999
set -euo pipefail
set_name=${1:?usage: flows-images-cpu.sh mnist|fashion-mnist [work dir]}
work=${2:-/tmp/flows-cpu}
steps=${STEPS:-1500}
batch=${BATCH:-32}
cfg=${CONFIG:-imageLayers=8,imageHidden=64,warmup=200,clipGrad=50,ema=0.999}
temps=0.6,0.7,0.8,1
fd=${FD_SAMPLES:-2000}
export GENLAB_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
cd "$(dirname "$0")/.."
mkdir -p "$work/runs" "$work/twin"
name=glow-cpu-$set_name
rm -rf "$work/runs/$name"

# the twin's inputs: genlab's initial weights, data, seeds and learning rates
npx tsx bench/flows_export.ts "$work/twin" glow "$set_name" "$steps" "$batch" 0 "$cfg"

# genlab and PyTorch side by side, 1 thread each, niced; CPU time in time-*.txt
/usr/bin/time -v -o "$work/time-genlab-$set_name.txt" nice -n 10 node bin/genlab.mjs train glow --data "$set_name" \
  --steps "$steps" --batch "$batch" --config "$cfg,sampleCount=64" --sample-every 500 --out "$work/runs" --name "$name" -q \
  > "$work/log-genlab-$set_name.txt" 2>&1 &
g=$!
/usr/bin/time -v -o "$work/time-torch-$set_name.txt" nice -n 10 /usr/bin/python3 bench/reference/flows_images.py \
  "$work/twin" glow "$set_name" "$work/twin/glow-$set_name-trained.safetensors" > "$work/torch-$set_name.json" 2> "$work/log-torch-$set_name.txt" &
p=$!
wait $g
wait $p

# the same evaluation for both: genlab eval on the run, bench/flows_score.ts on the PyTorch weights
nice -n 10 node bin/genlab.mjs eval "$work/runs/$name" --temperatures $temps --fd-samples "$fd" --json > "$work/eval-genlab-$set_name.json"
nice -n 10 node bin/genlab.mjs sample "$work/runs/$name" --temperatures 0.5,0.6,0.7,0.8,1 --out "$work/$name-temperatures.png"
nice -n 10 npx tsx bench/flows_score.ts "$work/twin" glow "$set_name" "$work/twin/glow-$set_name-trained.safetensors" \
  --temperatures $temps --fd-samples "$fd" --json "$work/eval-torch-$set_name.json" --grid "$work/$name-pytorch-temperatures.png" > /dev/null
cat "$work/eval-genlab-$set_name.json" "$work/eval-torch-$set_name.json"
