#!/usr/bin/env bash
# Training throughput (images/s, forward + backward + Adam step, batch 64) of gpu-cnn's CPU backend beside
# PyTorch on the same machine in the same run: the training section of side-by-side.sh with the PyTorch peer alone
# (no libtorch build). The two alternate so that both see the same machine state.
#   Benchmarks/train-throughput.sh [model ...]        (default: lenet5 seednet)
#   e.g. Benchmarks/train-throughput.sh vgg16-cifar resnet18-cifar
# ROUNDS, STEPS, WARMUP, LOCK and NO_BUILD as in side-by-side.sh; PEERS="pytorch libtorch" adds the libtorch peer.
# Needs Debian's python3-torch and libopenblas0-pthread (see Benchmarks/peer/README.md).
set -euo pipefail
[ $# -eq 0 ] && set -- lenet5 seednet
SECTIONS=train PEERS="${PEERS:-pytorch}" exec "$(dirname "$0")/side-by-side.sh" "$@"
