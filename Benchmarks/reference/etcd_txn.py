#!/usr/bin/env python3
"""The etcd row's reference: a gRPC client (python-etcd3) issuing the same txn as one gitfleet registry commit.

gitfleet-bench registry runs this against the same etcd in the same run. Each write is one txn that puts an
instance record's JSON (read from the key gitfleet wrote, so the value is byte for byte the same) and deletes
its discovery endpoint key, exactly what `EtcdRegistry.commit([.putInstance(record)])` sends for a starting
instance. Writers are threads sharing one client (one HTTP/2 channel, as gRPC clients do); gRPC releases the GIL
while a call waits. Prints one line: the writes per second.
"""
import argparse
import sys
import threading
import time

import etcd3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--writes", type=int, required=True)
    parser.add_argument("--writers", type=int, default=1)
    parser.add_argument("--round", default="1")
    parser.add_argument("--value-from", required=True, help="the key whose value every write puts")
    arguments = parser.parse_args()

    client = etcd3.client(host=arguments.host, port=arguments.port)
    value, _ = client.get(arguments.value_from)
    if value is None:
        print(f"etcd_txn.py: {arguments.value_from} holds nothing", file=sys.stderr)
        return 1
    client.status()  # the channel is connected before the clock starts, as gitfleet's pool is warm

    failures = []

    def writer(start: int) -> None:
        try:
            for index in range(start, arguments.writes, arguments.writers):
                instance = f"web-{arguments.round}-{index}"
                succeeded, _ = client.transaction(
                    compare=[],
                    success=[
                        client.transactions.put(f"/reference/instances/{instance}", value),
                        client.transactions.delete(f"/reference/endpoints/web/{instance}"),
                    ],
                    failure=[],
                )
                if not succeeded:
                    failures.append(instance)
        except Exception as error:  # reported below; a thread's exception would otherwise only be printed
            failures.append(repr(error))

    threads = [threading.Thread(target=writer, args=(start,)) for start in range(arguments.writers)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    if failures:
        print(f"etcd_txn.py: {len(failures)} writes failed, e.g. {failures[0]}", file=sys.stderr)
        return 1
    print(f"{arguments.writes / seconds:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
