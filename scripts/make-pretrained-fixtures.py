#!/usr/bin/env python3
"""Writes the small pretrained-weight fixtures the ImageNet tests read (run once; the files are
committed): a ResNet-34 body at width 4 (torchvision's module names, plus a 10-way `fc` that cmh
does not have) saved with torch.save (.pth, PyTorch's zip of a pickle and raw storages) and as
.safetensors, and PyTorch's outputs for a fixed input: the pooled features in evaluation mode and
in training mode (batch statistics), and gradients of sum(features * R) in training mode.

    /usr/bin/python3 scripts/make-pretrained-fixtures.py Tests/ImageNetTests/Fixtures
Needs python3-torch (Debian) and safetensors (pip)."""
import sys
import torch
import torch.nn as nn
from safetensors.torch import save_file


class BasicBlock(nn.Module):  # torchvision.models.resnet.BasicBlock, same names
    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


class ResNet34(nn.Module):  # torchvision.models.resnet34 with the first stage `width` wide
    def __init__(self, width):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        channels = width
        for stage, (blocks, mult) in enumerate([(3, 1), (4, 2), (6, 4), (3, 8)]):
            layers = []
            for b in range(blocks):
                layers.append(BasicBlock(channels, width * mult, 2 if b == 0 and stage > 0 else 1))
                channels = width * mult
            setattr(self, f"layer{stage + 1}", nn.Sequential(*layers))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, 10)

    def features(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return torch.flatten(self.avgpool(x), 1)


def main(out):
    torch.manual_seed(0)
    model = ResNet34(4)
    for m in model.modules():  # non-trivial running statistics and affine parameters
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    state = model.state_dict()
    torch.save(model.state_dict(), f"{out}/resnet34-w4.pth")
    save_file({k: v.contiguous() for k, v in state.items()}, f"{out}/resnet34-w4.safetensors")

    x = torch.randn(2, 3, 40, 40)
    r = torch.randn(2, 32)
    model.eval()
    with torch.no_grad():
        eval_out = model.features(x)
    model.train()
    with torch.no_grad():
        train_out = model.features(x)
    # Gradients in float64: through 36 BatchNorms in training mode they are ill-conditioned, and two
    # float32 computations differ by up to 1e-5 of the tensor's largest gradient; the truth is the bar.
    exact = ResNet34(4).double()
    exact.load_state_dict(model.state_dict())
    exact.train()
    (exact.features(x.double()) * r.double()).sum().backward()
    # How far PyTorch's own float32 gradients are from the float64 ones (the README quotes it).
    (model.features(x) * r).sum().backward()
    reference = {"input": x, "r": r, "eval_features": eval_out, "train_features": train_out}
    for name in ["conv1.weight", "bn1.weight", "layer1.0.conv1.weight", "layer2.0.downsample.0.weight", "layer4.2.conv2.weight", "layer4.2.bn2.bias"]:
        reference["grad." + name] = dict(exact.named_parameters())[name].grad.float()
        f32 = dict(model.named_parameters())[name].grad
        print(f"{name}: float32 differs from float64 by {((f32 - reference['grad.' + name]).abs().max() / reference['grad.' + name].abs().max()).item():.2e} of the largest gradient")
    save_file({k: v.contiguous() for k, v in reference.items()}, f"{out}/resnet34-w4-reference.safetensors")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "Tests/ImageNetTests/Fixtures")
