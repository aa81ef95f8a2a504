import ray


@ray.remote
def square(x: int) -> int:
    return x * x


if __name__ == "__main__":
    ray.init()
    print(sum(ray.get([square.remote(i) for i in range(20)])))
