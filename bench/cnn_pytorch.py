#!/usr/bin/python3
# ===- cnn_pytorch.py - The CNN example's training in PyTorch -------------=== #
#
# Part of Ember's benchmarks. The model, loss, optimizer (Adam, lr 1e-3) and
# batching (64, shuffled, the tutorial's DataLoader over a ToTensor
# dataset) of examples/cnn.cpp, in PyTorch: the peer the CNN issue measures
# Ember against. Times `--steps` training steps after `--warmup` steps and
# prints one line:
#
#   pytorch-cnn step_ms=61.234 epoch_s=57.4 threads=2 steps=200 torch=2.15.0
#
# (epoch_s is step_ms times the 938 steps of an epoch.) With --epochs E it
# instead trains E whole epochs and prints the test accuracy after each,
# the reference figure for the example's accuracy.
#
# Runs under Debian's /usr/bin/python3 (PyTorch 1.13) or the PyTorch 2.x
# environment bench/install-torch2.sh makes. The IDX files are read with
# gzip (no torchvision).
#
# ===----------------------------------------------------------------------=== #

import argparse
import time

import torch
from torch import nn

from quickstart_pytorch import FashionMNIST, read_idx


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
            nn.MaxPool2d(2))
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Dropout(0.25), nn.Linear(64 * 7 * 7, 128),
            nn.ReLU(), nn.Linear(128, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


def main():
    parser = argparse.ArgumentParser(description="The CNN example in PyTorch.")
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=0,
                        help="train whole epochs and print test accuracy")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    images = read_idx(f"{args.data}/train-images-idx3-ubyte.gz")
    labels = read_idx(f"{args.data}/train-labels-idx1-ubyte.gz").to(torch.int64)
    loader = torch.utils.data.DataLoader(FashionMNIST(images, labels),
                                         batch_size=64, shuffle=True)
    model = CNN()
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step(X, y):
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        return loss

    if args.epochs:
        test_images = read_idx(f"{args.data}/t10k-images-idx3-ubyte.gz")
        test_labels = read_idx(f"{args.data}/t10k-labels-idx1-ubyte.gz")
        test_loader = torch.utils.data.DataLoader(
            FashionMNIST(test_images, test_labels.to(torch.int64)),
            batch_size=64)
        for epoch in range(args.epochs):
            model.train()
            start = time.perf_counter()
            for X, y in loader:
                step(X, y)
            seconds = time.perf_counter() - start
            model.eval()
            correct = 0
            with torch.no_grad():
                for X, y in test_loader:
                    correct += (model(X).argmax(1) == y).sum().item()
            print(f"pytorch-cnn epoch={epoch + 1} accuracy="
                  f"{100 * correct / len(test_labels):.1f}% "
                  f"epoch_s={seconds:.1f}", flush=True)
        return

    model.train()
    batches = iter(loader)
    for _ in range(args.warmup):
        step(*next(batches))
    start = time.perf_counter()
    for _ in range(args.steps):
        step(*next(batches))
    seconds = time.perf_counter() - start
    ms = 1e3 * seconds / args.steps
    print(f"pytorch-cnn step_ms={ms:.3f} epoch_s={ms * 938 / 1e3:.1f} "
          f"threads={torch.get_num_threads()} steps={args.steps} "
          f"torch={torch.__version__}", flush=True)


if __name__ == "__main__":
    main()
