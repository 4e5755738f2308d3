"""The common autograd mistakes and the errors they raise."""
import torch


def attempt(name, fn, phrase):
    try:
        fn()
        print(name, "no error")
    except Exception as e:
        print(name, type(e).__name__, phrase in str(e))


x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)


def backward_twice():
    y = (x * x).sum()
    y.backward()
    y.backward()


def non_scalar():
    (x * 2).backward()


def inplace_leaf():
    x.add_(1)


def numpy_of_grad_tensor():
    x.numpy()


def unused_input():
    z = torch.tensor([1.0], requires_grad=True)
    torch.autograd.grad((x * 2).sum(), [x, z])


def no_grad_fn():
    with torch.no_grad():
        y = (x * 2).sum()
    y.backward()


def modified_saved():
    a = x * 1
    b = a.exp()
    a.mul_(2)
    b2 = b * a
    b.mul_(2)
    b2.sum().backward()


def int_requires_grad():
    torch.tensor([1, 2], requires_grad=True)


def grad_assignment():
    x.grad = 0


def wrong_shape_grad():
    (x * 2).backward(torch.ones(2))


attempt("backward_twice", backward_twice, "retain_graph=True")
attempt("non_scalar", non_scalar, "grad can be implicitly created only for scalar outputs")
attempt("inplace_leaf", inplace_leaf, "leaf Variable that requires grad")
attempt("numpy", numpy_of_grad_tensor, "requires grad")
attempt("unused", unused_input, "allow_unused=True")
attempt("no_grad_fn", no_grad_fn, "does not require grad")
attempt("modified", modified_saved, "modified by an inplace operation")
attempt("int_requires_grad", int_requires_grad, "floating point")
attempt("grad_assignment", grad_assignment, "expected to be a Tensor or None")
attempt("wrong_shape", wrong_shape_grad, "Mismatch in shape")
y = (x * x).sum()
y.backward(retain_graph=True)
y.backward()
print("retained", x.grad.tolist())
x.grad.zero_()
(x + 1).sum().backward()
print("accumulates", x.grad.tolist())
