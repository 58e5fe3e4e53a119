print("gitfleet-demo")
