"""Where a streaming review's partitions are reviewed: this process, or a Dask cluster.

Once the survey (pass 1) has fixed the account's baseline and the batch's false-discovery
cutoff, every video is reviewed independently of the others. The driver (the `advisor review`
process) reads the rows (pass 2: from pass 1's spool) and writes the report; an executor reviews the partitions it is given
and yields, in order, each one's report entries and its part of the summary
(advisor.jobs.review_stream.review_partition, the same function whatever the executor).

    local   this process, one partition after another (the default)
    dask    a Dask cluster (`pip install 'advisor[distributed]'`): a cluster of `workers`
            processes on this machine by default, or the scheduler at `address`
            (tcp://host:8786) whose workers have the same version of advisor installed

The report is the same document whichever executor runs (tests/test_executors.py).
"""

from __future__ import annotations

import logging
from collections import deque

from advisor.core.errors import AdvisorError, Problem
from advisor.core.i18n import T
from advisor.jobs.review_stream import LocalExecutor, PartitionSpec, review_partition

EXECUTORS = ("local", "dask")


class DaskExecutor:
    """Partitions reviewed on a Dask cluster, at most `window` in flight (bounded memory)."""

    local = False

    def __init__(self, address: str | None = None, workers: int | None = None):
        self.address = address
        self.workers = workers or 2

    def map(self, spec: PartitionSpec, partitions, reviewer=None):
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise AdvisorError([Problem(T(
                zh="--executor dask 需要 Dask:pip install 'advisor[distributed]'",
                en="--executor dask needs Dask: pip install 'advisor[distributed]'"), field="--executor")]) from None
        cluster = None
        try:
            if self.address:
                client = Client(self.address, timeout="10s")
            else:
                # Processes, one thread each: the review is pure Python (the GIL), and durable_rules'
                # engine is not shared across threads.
                cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                       dashboard_address=":0", silence_logs=logging.ERROR)
                client = Client(cluster)
        except (OSError, TimeoutError) as exc:
            raise AdvisorError([Problem(T(zh=f"无法连接 Dask 调度器 {self.address}:{exc}",
                                          en=f"cannot reach the Dask scheduler at {self.address}: {exc}"),
                                        field="--address")]) from None
        try:
            workers = max(1, len(client.scheduler_info().get("workers", {})))
            window = 2 * workers  # enough to keep every worker busy while the driver writes
            shared = client.scatter(spec, broadcast=True, hash=False)
            in_flight: deque = deque()
            for videos, sources, offset in partitions:
                in_flight.append(client.submit(review_partition, shared, videos, sources, offset, pure=False))
                if len(in_flight) >= window:
                    yield in_flight.popleft().result()
            while in_flight:
                yield in_flight.popleft().result()
        finally:
            client.close()
            if cluster is not None:
                cluster.close()


def make_executor(name: str | None, *, address: str | None = None, workers: int | None = None):
    """The executor called `name` (local | dask); an address implies dask."""
    if name in (None, "local") and not address:
        return LocalExecutor()
    if name in (None, "dask"):
        return DaskExecutor(address, workers)
    raise AdvisorError([Problem(T(zh=f"未知的执行器 {name}:可选 {', '.join(EXECUTORS)}",
                                  en=f"unknown executor {name}: choose one of {', '.join(EXECUTORS)}"),
                                field="--executor")])
