# PyTorch's "Learn the Basics: Optimizing Model Parameters" on fixed data and
# weights (common.py), with momentum and a learning-rate schedule, as
# optimization.cpp writes it in Ember. Run by make_expected.sh; its output
# is expected/optimization.txt.
import torch
from torch import nn

from common import X, Y, make_model, train_epoch

model = make_model()
print(model)
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
for epoch in range(6):
    loss = train_epoch(model, loss_fn, optimizer)
    print(f"epoch {epoch}: loss {loss:.6f}, lr {scheduler.get_last_lr()[0]:.6f}")
    scheduler.step()

model.eval()
with torch.no_grad():
    pred = model(X).argmax(1)
print(f"accuracy {(pred == Y).float().mean().item():.4f}")
print(model[2].bias.detach())
