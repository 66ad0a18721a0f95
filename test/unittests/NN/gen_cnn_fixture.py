#!/usr/bin/env python3
# Regenerates cnn_state.safetensors: the state_dict of a small CNN of the
# CNN example's shape (convolution, batch norm, ReLU, max pooling, twice;
# flatten, dropout, linear) trained for a few steps in PyTorch, so that its
# batch-norm buffers are not their initial values, saved with
# safetensors.torch.save_file(model.state_dict()) as a PyTorch user would;
# plus, under "test.input" and "test.output", an input batch and the
# model's eval-mode output on it. NNTest.PyTorchStateDictLoadsIntoTheSameCnn
# loads the state into the same Ember model and compares the outputs.
#
#   <PyTorch 2.x environment>/pip install safetensors  (bench/install-torch2.sh)
#   <PyTorch 2.x environment>/python gen_cnn_fixture.py
import os

import torch
from safetensors.torch import save_file
from torch import nn

torch.manual_seed(0)
model = nn.Sequential(
    nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                  nn.MaxPool2d(2),
                  nn.Conv2d(4, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(),
                  nn.MaxPool2d(2)),
    nn.Sequential(nn.Flatten(), nn.Dropout(0.25), nn.Linear(6 * 2 * 2, 5)))
optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
for _ in range(3):
    x = torch.randn(8, 1, 8, 8) * 2 + 0.5
    loss = model(x).square().mean()
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
model.eval()
state = {k: v.contiguous() for k, v in model.state_dict().items()}
test_input = torch.randn(3, 1, 8, 8)
with torch.no_grad():
    state["test.input"] = test_input
    state["test.output"] = model(test_input)
here = os.path.dirname(os.path.abspath(__file__))
save_file(state, os.path.join(here, "cnn_state.safetensors"),
          metadata={"producer": "gen_cnn_fixture.py",
                    "torch": torch.__version__})
print(sorted(state))
