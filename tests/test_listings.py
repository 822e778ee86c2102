"""Long listings: a terminal table stops at a thousand rows and says how many there are;
csv and json list every row."""

from __future__ import annotations

import json
from pathlib import Path

from qualcode.cli.output import TABLE_ROWS
from tests.conftest import Cli, write


def test_a_long_table_shows_the_first_rows_and_counts_the_rest(cli: Cli, tmp_path: Path) -> None:
    turns = TABLE_ROWS + 5
    text = "".join(f"Respondent: 第{number}段，网格员上门。\n" for number in range(turns))
    assert cli("import", str(write(tmp_path / "long.txt", text))).exit_code == 0
    table = cli("segments")
    assert table.exit_code == 0, table.stderr
    assert f"第{TABLE_ROWS - 1}段" in table.stdout and f"第{TABLE_ROWS}段" not in table.stdout
    assert table.stderr.splitlines()[-1] == (
        f"{TABLE_ROWS:,} of {turns:,} rows shown; --format csv or json lists them all"
    )
    assert len(json.loads(cli("segments", "--format", "json").stdout)) == turns
    assert len(cli("segments", "--format", "csv").stdout.splitlines()) == turns + 1
