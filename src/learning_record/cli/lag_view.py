"""``lr lag``: the consumer lag of the worker's group, as a table, live, or as JSON."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import orjson
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from learning_record.ops.consumer_lag import GroupLag, LagReader, lag_json
from learning_record.platform.settings import Settings


def reader_for(settings: Settings) -> LagReader:
    return LagReader(
        settings.kafka,
        settings.worker.app_id,
        [settings.kafka.statements_topic],
        discover=True,
        cache_s=0,
    )


def lag_table(lag: GroupLag) -> Group:
    at = datetime.fromtimestamp(lag.read_at_ms / 1000, UTC).strftime("%H:%M:%S")
    table = Table(title=f"consumer group {lag.group} ({lag.state})", title_justify="left")
    for column in ("topic", "partition", "committed", "log end", "lag", "lag s", "owner"):
        justify = "left" if column in ("topic", "owner") else "right"
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for p in lag.partitions:
        seconds = p.seconds(lag.read_at_ms)
        style = "red" if p.messages and seconds >= 10 else ("yellow" if p.messages else "")
        owner = f"{p.owner.host} {p.owner.member_id[-12:]}" if p.owner else "-"
        table.add_row(
            p.topic,
            str(p.partition),
            str(p.committed),
            str(p.log_end),
            str(p.messages),
            f"{seconds:.1f}",
            owner,
            style=style,
        )
    total = Text(
        f"total lag {lag.messages} records, oldest {lag.seconds:.1f}s, read at {at} UTC",
        style="bold",
    )
    return Group(table, total)


async def show_lag(settings: Settings, *, as_json: bool, watch: bool, interval_s: float) -> None:
    console = Console()
    reader = reader_for(settings)
    await reader.start()
    try:
        if not watch:
            lag = await reader.read()
            if as_json:
                group = lag_json(lag)
                print(orjson.dumps({"groups": [group], "totals": group["totals"]}).decode())
            else:
                console.print(lag_table(lag))
            return
        with Live(lag_table(await reader.read()), console=console, auto_refresh=False) as live:
            while True:
                await asyncio.sleep(interval_s)
                live.update(lag_table(await reader.read()), refresh=True)
    finally:
        await reader.stop()
