"""PyTorch side of bench/train-step.mjs: the same architecture, input, batch and
optimiser, on CPU with a fixed number of threads. Prints one JSON line.

    python3 bench/train-step.py '{"arch": {...}, "threads": 1, "steps": 10, "warmup": 3}'
"""
import json
import sys
import time

import torch

cfg = json.loads(sys.argv[1])
torch.set_num_threads(int(cfg["threads"]))
torch.manual_seed(int(cfg.get("seed", 1)))
arch = cfg["arch"]

layers = []
for c in arch["convs"]:
    layers += [torch.nn.Conv2d(c["cin"], c["cout"], c["k"], c["stride"], padding=c["k"] // 2), torch.nn.ReLU()]
net = torch.nn.Sequential(
    *layers,
    torch.nn.AdaptiveAvgPool2d(1),
    torch.nn.Flatten(),
    torch.nn.Linear(arch["convs"][-1]["cout"], arch["classes"]),
)
opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
n, h, w, c = arch["input"]
x = torch.randn(n, c, h, w)
y = torch.randint(0, arch["classes"], (n,))


def step():
    opt.zero_grad(set_to_none=True)
    loss = torch.nn.functional.cross_entropy(net(x), y)
    loss.backward()
    opt.step()
    return float(loss)


for _ in range(int(cfg.get("warmup", 3))):
    step()
ms = []
for _ in range(int(cfg.get("steps", 10))):
    t0 = time.perf_counter()
    step()
    ms.append((time.perf_counter() - t0) * 1000)
print(json.dumps({"model": cfg.get("model", "net5"), "backend": "pytorch", "version": torch.__version__,
                  "threads": torch.get_num_threads(), "msPerStep": ms}))
