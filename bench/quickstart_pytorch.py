#!/usr/bin/python3
# ===- quickstart_pytorch.py - The Quickstart epoch in PyTorch -------------=== #
#
# Part of Ember's benchmarks. PyTorch's Quickstart MLP trained on
# FashionMNIST in Python, the peer Ember is measured against: the same model,
# loss, optimizer and batching as examples/quickstart.cpp, one timed epoch
# after a short warm-up. The IDX files are read with gzip (no torchvision).
#
# --loader dataloader (the default) is the Quickstart's loop: a map-style
# Dataset whose samples are converted as ToTensor does (uint8 [28, 28] to
# float [1, 28, 28] in [0, 1]), batched by torch.utils.data.DataLoader with
# shuffle=True. --loader batched gathers each batch with one index_select
# instead, as the LibTorch peer does, to separate loop overhead from compute.
# Prints one line:
#
#   pytorch epoch_s=6.789 threads=1 loader=dataloader steps=938 loss=1.234567
#
# Run with /usr/bin/python3 (Debian's python3-torch).
#
# ===----------------------------------------------------------------------=== #

import argparse
import gzip
import struct
import time

import torch
from torch import nn


class NeuralNetwork(nn.Module):
    """The Quickstart's NeuralNetwork, as in PyTorch's tutorial."""

    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 512),
            nn.ReLU(),
            nn.Linear(512, 512),
            nn.ReLU(),
            nn.Linear(512, 10),
        )

    def forward(self, x):
        return self.linear_relu_stack(self.flatten(x))


def read_idx(path):
    """Reads a (gzipped) IDX file of unsigned bytes into a uint8 tensor."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, kind, rank = struct.unpack(">HBB", data[:4])
    if zero != 0 or kind != 0x08:
        raise ValueError(f"{path}: not an IDX file of unsigned bytes")
    shape = struct.unpack(">" + "I" * rank, data[4 : 4 + 4 * rank])
    body = bytearray(data[4 + 4 * rank :])
    return torch.frombuffer(body, dtype=torch.uint8).reshape(shape)


class FashionMNIST(torch.utils.data.Dataset):
    """torchvision's FashionMNIST with ToTensor, without PIL: each sample is
    converted on access."""

    def __init__(self, images, labels):
        self.images = images
        self.labels = labels

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, index):
        image = self.images[index].unsqueeze(0).to(torch.float32).div(255)
        return image, int(self.labels[index])


def main():
    parser = argparse.ArgumentParser(
        description="The Quickstart epoch in PyTorch.")
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--threads", type=int, default=0,
                        help="torch.set_num_threads (0: PyTorch's default)")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--loader", choices=["dataloader", "batched"],
                        default="dataloader")
    args = parser.parse_args()

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    # The one-time load, not timed.
    images = read_idx(f"{args.data}/train-images-idx3-ubyte.gz")
    labels = read_idx(f"{args.data}/train-labels-idx1-ubyte.gz").to(torch.int64)
    size = len(labels)
    batch_size = args.batch_size

    if args.loader == "dataloader":
        training_data = FashionMNIST(images, labels)

        def batches(bs=batch_size):
            loader = torch.utils.data.DataLoader(training_data, batch_size=bs,
                                                 shuffle=True)
            return iter(loader)
    else:

        def batches(bs=batch_size):
            order = torch.randperm(size)
            for begin in range(0, size, bs):
                index = order[begin : begin + bs]
                X = images.index_select(0, index).to(torch.float32).div_(255)
                yield X.unsqueeze_(1), labels.index_select(0, index)

    model = NeuralNetwork()
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
    model.train()

    def step(X, y):
        pred = model(X)
        loss = loss_fn(pred, y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        return loss

    # Warm-up: a few full batches and one of the epoch's last-batch size, so
    # that every shape the epoch sees has run once.
    warm = batches()
    for _ in range(args.warmup):
        step(*next(warm))
    if size % batch_size:
        step(*next(batches(size % batch_size)))

    # The timed epoch.
    start = time.perf_counter()
    last_loss = 0.0
    steps = 0
    for X, y in batches():
        loss = step(X, y)
        if steps % 100 == 0 or (steps + 1) * batch_size >= size:
            last_loss = loss.item()
        steps += 1
    seconds = time.perf_counter() - start
    print(f"pytorch epoch_s={seconds:.3f} threads={torch.get_num_threads()} "
          f"loader={args.loader} steps={steps} loss={last_loss:.6f}", flush=True)


if __name__ == "__main__":
    main()
