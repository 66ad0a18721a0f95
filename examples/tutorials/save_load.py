# PyTorch's "Learn the Basics: Save and Load the Model" on fixed data and
# weights (common.py): a checkpoint of the model and the optimizer after two
# epochs, loaded into fresh objects, trains on exactly as the uninterrupted
# run does. As save_load.cpp writes it in Ember. Run by make_expected.sh;
# its output is expected/save_load.txt.
import os
import tempfile

import torch
from torch import nn

from common import X, make_model, train_epoch

loss_fn = nn.CrossEntropyLoss()
model = make_model()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
for epoch in range(2):
    print(f"epoch {epoch}: loss {train_epoch(model, loss_fn, optimizer):.6f}")

path = os.path.join(tempfile.mkdtemp(), "checkpoint.pt")
torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()},
           path)

# Fresh objects with other weights; the checkpoint replaces them.
model2 = make_model(offset=1.7)
optimizer2 = torch.optim.Adam(model2.parameters(), lr=0.01)
checkpoint = torch.load(path)
missing, unexpected = model2.load_state_dict(checkpoint["model"])
print(f"missing keys: {missing}, unexpected keys: {unexpected}")
optimizer2.load_state_dict(checkpoint["optimizer"])

print(f"epoch 2, uninterrupted: loss {train_epoch(model, loss_fn, optimizer):.6f}")
print(f"epoch 2, resumed:       loss {train_epoch(model2, loss_fn, optimizer2):.6f}")
same = all(torch.equal(p, q) for p, q in zip(model.parameters(), model2.parameters()))
print(f"parameters identical: {same}")

# strict=False reports what does not match instead of failing.
state = model.state_dict()
del state["2.bias"]
state["extra"] = torch.zeros(1)
result = model2.load_state_dict(state, strict=False)
print(f"missing keys: {result.missing_keys}, unexpected keys: {result.unexpected_keys}")
model.eval()
with torch.no_grad():
    print(model(X[:2]))
