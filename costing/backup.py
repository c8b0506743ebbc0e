"""A complete, portable logical backup of the database, and its restore into an empty database of either kind
(SQLite or PostgreSQL): ``flask --app wsgi costing backup FILE`` / ``restore FILE``. Restoring a SQLite backup
into PostgreSQL is the supported way for a bureau to move from the embedded database to a server.

The file is gzip-compressed JSON Lines (UTF-8), one record a line:

- line 1, the header: ``{"format": "costing-backup", "version": 1, "schema": <alembic revision>,
  "created_at": <UTC, ISO 8601>, "database": "sqlite" | "postgresql", "tables": [{"name", "columns", "rows"}, …]}``
  (the tables in foreign-key order, each with its columns in the order its rows list them, and its row count);
- then, table by table in that order, ``{"table": <name>}`` followed by one JSON array a row, by primary key;
- last, ``{"end": true, "rows": <all rows>, "sha256": <of every line before this one, as written>}``.

Values keep their exact type: amounts (Numeric) as decimal strings ("1234.50"), moments as ISO 8601 in UTC
("2026-03-01T08:00:00.123456+00:00"), dates as "2026-03-01", booleans as true/false, binary content (stored
annex files) as base64, JSON columns as their JSON text (so a JSON null and an SQL NULL stay apart), NULL as null.

Both directions stream: rows are read and written a batch at a time, so memory is bounded by a batch, not by
the database. A restore reads the whole file once to check it (format, schema revision, every value, row counts,
checksum) before it writes anything, then creates the tables (the migrations) if the database has none and
inserts every row in one transaction; on PostgreSQL it moves each table's id sequence past the restored ids.
"""
from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path

from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    Text,
    bindparam,
    cast,
    func,
    inspect,
    null,
    select,
    text,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from .models import db
from .paths import ROOT

FORMAT = "costing-backup"
VERSION = 1
MIGRATIONS = ROOT / "migrations"
BATCH_ROWS = 500                    # rows a batch (read, and inserted)
HEAVY_BATCH_ROWS = 20               # rows a batch read from a table with long text or binary columns
BATCH_BYTES = 16 * 1024 * 1024      # and at most about this much of the file a batch on restore (annex files are large)
UPGRADE = "flask --app wsgi db upgrade"


class BackupError(Exception):
    """Why a backup or a restore was refused or failed, said for the person running it (Chinese)."""


@dataclass
class Summary:
    path: Path
    schema: str
    created_at: datetime
    database: str                                   # where the rows came from (sqlite / postgresql)
    rows: dict[str, int]                            # table → rows
    size: int                                       # the file's size in bytes
    seconds: float
    skipped: list[str] = field(default_factory=list)   # tables in the database that are not this application's

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def head_revision() -> str:
    """The newest revision of this code's migrations (the schema the models describe)."""
    heads = ScriptDirectory(str(MIGRATIONS)).get_heads()
    return "+".join(sorted(heads))


def _known_revision(revision: str) -> bool:
    try:
        return ScriptDirectory(str(MIGRATIONS)).get_revision(revision) is not None
    except Exception:               # alembic raises several kinds for a name it does not know
        return False


def _tables() -> list[Table]:
    """This application's tables, each after the tables it refers to."""
    return list(db.metadata.sorted_tables)


def _schema_of(connection: Connection) -> str | None:
    if "alembic_version" not in inspect(connection).get_table_names():
        return None
    versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return "+".join(sorted(versions)) or None


# -- values ---------------------------------------------------------------------------------------------------

def _utc(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes; they are UTC."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _expect(kind: type | tuple[type, ...], value):
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"应为 {getattr(kind, '__name__', kind)}，实为 {type(value).__name__}")
    return value


def _read_datetime(value) -> datetime:
    moment = datetime.fromisoformat(_expect(str, value))
    if moment.tzinfo is None:
        raise ValueError("时间没有时区")
    return moment.astimezone(timezone.utc)


def _read_decimal(value) -> Decimal:
    try:
        number = Decimal(_expect(str, value))
    except InvalidOperation:
        raise ValueError(f"「{value}」不是数") from None
    if not number.is_finite():
        raise ValueError(f"「{value}」不是数")
    return number


def _read_json(value):
    parsed = json.loads(_expect(str, value))
    return JSON.NULL if parsed is None else parsed      # a JSON null, not an SQL NULL


@dataclass(frozen=True)
class _Codec:
    selected: object                  # what to select for the column
    write: Callable                   # database value → JSON value
    read: Callable                    # JSON value → value to insert


def _codec(column: Column) -> _Codec:
    kind = column.type
    if isinstance(kind, JSON):
        # as its text: a JSON null stays apart from an SQL NULL, and PostgreSQL's json keeps its text as stored
        return _Codec(cast(column, Text), lambda v: _expect(str, v), _read_json)
    if isinstance(kind, Numeric) and not isinstance(kind, Float):
        return _Codec(column, lambda v: str(_expect(Decimal, v)), _read_decimal)
    if isinstance(kind, DateTime):
        return _Codec(column, lambda v: _utc(_expect(datetime, v)).isoformat(), _read_datetime)
    if isinstance(kind, Date):
        return _Codec(column, lambda v: _expect(date, v).isoformat(), lambda v: date.fromisoformat(_expect(str, v)))
    if isinstance(kind, LargeBinary):
        return _Codec(column, lambda v: base64.b64encode(_expect(bytes, v)).decode("ascii"),
                      lambda v: base64.b64decode(_expect(str, v), validate=True))
    if isinstance(kind, Boolean):
        return _Codec(column, lambda v: _expect(bool, v), lambda v: _expect(bool, v))
    if isinstance(kind, Integer):
        return _Codec(column, lambda v: _expect(int, v), lambda v: _expect(int, v))
    if isinstance(kind, (String, Text)):
        return _Codec(column, lambda v: _expect(str, v), lambda v: _expect(str, v))
    raise TypeError(f"备份不知道如何保存 {column.table.name}.{column.name} 的类型 {kind!r}")


def _codecs(table: Table) -> list[_Codec]:
    return [_codec(column) for column in table.columns]


def _line(record) -> bytes:
    return (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


# -- backup ---------------------------------------------------------------------------------------------------

def _snapshot(engine: Engine) -> Connection:
    """A connection whose reads all see the database as it was at one moment."""
    connection = engine.connect()
    if engine.dialect.name == "postgresql":
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        connection.execute(text("SET TRANSACTION READ ONLY"))
    elif engine.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN")      # pysqlite does not begin a transaction for reads on its own
    return connection


def write_backup(path: Path, overwrite: bool = False) -> Summary:
    """Write every table of the application's database to ``path`` (written under another name, then renamed
    into place, so a failed backup leaves no file that looks like one)."""
    engine = db.engine
    path = Path(path)
    if path.is_dir():
        raise BackupError(f"{path} 是目录，请给出备份文件名")
    if path.exists() and not overwrite:
        raise BackupError(f"文件 {path} 已存在：请换一个文件名（或加 --force 覆盖）")
    started = time.perf_counter()
    partial = path.with_name(path.name + ".part")
    tables = _tables()
    try:
        with _snapshot(engine) as connection:
            present = set(inspect(connection).get_table_names())
            schema = _schema_of(connection)
            code = head_revision()
            if schema is None:
                raise BackupError("数据库中没有迁移版本记录（alembic_version），不是由本软件的迁移建立的数据库，"
                                  f"或者还没有建表：请先运行 {UPGRADE}")
            if schema != code:
                raise BackupError(f"数据库的结构版本是 {schema}，本软件是 {code}：请先运行 {UPGRADE}，再备份")
            missing = [t.name for t in tables if t.name not in present]
            if missing:
                raise BackupError(f"数据库缺少表 {', '.join(missing)}：请先运行 {UPGRADE}，再备份")
            skipped = sorted(present - {t.name for t in tables} - {"alembic_version"})
            counts = {t.name: connection.scalar(select(func.count()).select_from(t)) for t in tables}
            created = datetime.now(timezone.utc).replace(microsecond=0)
            header = {"format": FORMAT, "version": VERSION, "schema": schema, "created_at": created.isoformat(),
                      "database": engine.dialect.name,
                      "tables": [{"name": t.name, "columns": [c.name for c in t.columns], "rows": counts[t.name]}
                                 for t in tables]}
            digest = hashlib.sha256()
            path.parent.mkdir(parents=True, exist_ok=True)
            with (open(partial, "wb") as raw,      # (the name inside the gzip is the backup's, not the .part's)
                  gzip.GzipFile(filename=path.name, mode="wb", fileobj=raw, compresslevel=6) as out):
                def put(record) -> None:
                    line = _line(record)
                    digest.update(line)
                    out.write(line)

                put(header)
                for table in tables:
                    put({"table": table.name})
                    written = _write_rows(connection, table, put)
                    if written != counts[table.name]:      # the snapshot should make this impossible
                        raise BackupError(f"表 {table.name} 在备份过程中改变了（{counts[table.name]} 行变为 {written} 行），"
                                          "请重试")
                out.write(_line({"end": True, "rows": sum(counts.values()), "sha256": digest.hexdigest()}))
            os.replace(partial, path)
    except BaseException as exc:
        partial.unlink(missing_ok=True)
        if isinstance(exc, SQLAlchemyError):
            raise BackupError(f"读取数据库失败：{exc.__class__.__name__}: {str(exc).splitlines()[0]}") from exc
        if isinstance(exc, OSError):
            raise BackupError(f"写入 {path} 失败：{exc.strerror or exc}") from exc
        raise
    return Summary(path, schema, created, engine.dialect.name, counts, path.stat().st_size,
                   time.perf_counter() - started, skipped)


def _write_rows(connection: Connection, table: Table, put: Callable) -> int:
    """Rows are fetched a batch at a time (a server-side cursor on PostgreSQL); a batch of a table with long
    text or binary columns (revisions' figures, annex files) is small, so memory stays bounded."""
    codecs = _codecs(table)
    query = select(*[c.selected for c in codecs]).order_by(*table.primary_key.columns)
    heavy = any(isinstance(c.type, (Text, LargeBinary)) for c in table.columns)
    result = connection.execute(query, execution_options={"yield_per": HEAVY_BATCH_ROWS if heavy else BATCH_ROWS})
    written = 0
    for rows in result.partitions():
        for row in rows:
            put([None if value is None else codec.write(value) for codec, value in zip(codecs, row)])
            written += 1
    return written


# -- reading a backup -----------------------------------------------------------------------------------------

NOT_A_BACKUP = "不是 costing 的备份文件（应由 flask --app wsgi costing backup 生成）"


class _Backup:
    """A backup file read line by line; every problem is a BackupError naming where it is."""

    def __init__(self, path: Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise BackupError(f"找不到备份文件 {self.path}")
        with self._open() as lines:
            self.header = self._header(next(lines, None))

    def _open(self):
        return _Lines(self.path)

    def _header(self, line: bytes | None) -> dict:
        try:
            header = json.loads(line) if line else None
        except ValueError:
            header = None
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise BackupError(f"{self.path} {NOT_A_BACKUP}")
        if header.get("version") != VERSION:
            raise BackupError(f"{self.path} 是第 {header.get('version')} 版格式的备份，本软件只读第 {VERSION} 版："
                              "请用生成它的软件版本恢复")
        tables = header.get("tables")
        if (not isinstance(tables, list) or not isinstance(header.get("schema"), str)
                or not all(isinstance(t, dict) and isinstance(t.get("name"), str) and isinstance(t.get("rows"), int)
                           and isinstance(t.get("columns"), list) for t in tables)):
            raise BackupError(f"{self.path} 的文件头已损坏")
        return header

    @property
    def schema(self) -> str:
        return self.header["schema"]

    @property
    def counts(self) -> dict[str, int]:
        return {t["name"]: t["rows"] for t in self.header["tables"]}

    @property
    def created_at(self) -> datetime | None:
        try:
            return _read_datetime(self.header.get("created_at"))
        except (ValueError, TypeError):
            return None

    def check_tables(self, tables: list[Table]) -> None:
        """The backup holds exactly these tables, with these columns (the same schema revision should ensure it)."""
        expected = [(t.name, [c.name for c in t.columns]) for t in tables]
        found = [(t["name"], t["columns"]) for t in self.header["tables"]]
        if expected != found:
            raise BackupError(f"{self.path} 中的表与本软件的数据库结构不一致（文件已损坏或被修改过）")

    def rows(self, tables: list[Table]) -> Iterator[tuple[Table, int, list]]:
        """(table, size of its line, values to insert) for every row, checked; then the counts and the checksum."""
        by_name = {t.name: t for t in tables}
        counts = self.counts
        digest = hashlib.sha256()
        seen = {name: 0 for name in counts}
        order = iter(self.header["tables"])
        current = None
        codecs: list[_Codec] = []
        total = 0
        with self._open() as lines:
            header = next(lines)
            digest.update(header)
            number = 1
            for line in lines:
                number += 1
                try:
                    record = json.loads(line)
                except ValueError:
                    raise BackupError(f"{self.path} 已损坏：第 {number} 行不是完整的记录") from None
                if isinstance(record, list):
                    if current is None:
                        raise BackupError(f"{self.path} 已损坏：第 {number} 行的数据不属于任何表")
                    if len(record) != len(codecs):
                        raise BackupError(f"{self.path} 已损坏：第 {number} 行（表 {current.name}）的列数不对")
                    values = []
                    for column, codec, value in zip(current.columns, codecs, record):
                        if value is None:
                            if not column.nullable:
                                raise BackupError(f"{self.path} 已损坏：第 {number} 行（表 {current.name}）"
                                                  f"的 {column.name} 不能为空")
                            values.append(null() if isinstance(column.type, JSON) else None)
                            continue
                        try:
                            values.append(codec.read(value))
                        except (ValueError, TypeError, zlib.error) as exc:
                            raise BackupError(f"{self.path} 已损坏：第 {number} 行（表 {current.name}）"
                                              f"的 {column.name}：{exc}") from None
                    seen[current.name] += 1
                    total += 1
                    if seen[current.name] > counts[current.name]:
                        raise BackupError(f"{self.path} 已损坏：表 {current.name} 的行数多于文件头所记的 "
                                          f"{counts[current.name]} 行")
                    digest.update(line)
                    yield current, len(line), values
                elif isinstance(record, dict) and "table" in record:
                    if current is not None and seen[current.name] != counts[current.name]:
                        raise self._short(current.name, seen, counts)
                    expected = next(order, None)
                    if expected is None or record["table"] != expected["name"] or record["table"] not in by_name:
                        raise BackupError(f"{self.path} 已损坏：第 {number} 行的表 {record['table']} 不在应有的位置")
                    current = by_name[record["table"]]
                    codecs = _codecs(current)
                    digest.update(line)
                elif isinstance(record, dict) and record.get("end") is True:
                    if current is not None and seen[current.name] != counts[current.name]:
                        raise self._short(current.name, seen, counts)
                    absent = [t["name"] for t in order]
                    if absent:
                        raise BackupError(f"{self.path} 不完整：缺少表 {', '.join(absent)}")
                    if record.get("rows") != total or record.get("sha256") != digest.hexdigest():
                        raise BackupError(f"{self.path} 已损坏：校验和或总行数与内容不符")
                    if next(lines, None) is not None:
                        raise BackupError(f"{self.path} 已损坏：结束标记之后还有内容")
                    return
                else:
                    raise BackupError(f"{self.path} 已损坏：第 {number} 行不是备份的记录")
        raise BackupError(f"{self.path} 不完整（没有结束标记）：文件可能被截断了")

    def _short(self, name: str, seen: dict, counts: dict) -> BackupError:
        return BackupError(f"{self.path} 已损坏：表 {name} 有 {seen[name]} 行，文件头记的是 {counts[name]} 行")


class _Lines:
    """The lines of a gzip file, with its errors said as a BackupError."""

    def __init__(self, path: Path):
        self.path = path
        self.file = None

    def __enter__(self) -> Iterator[bytes]:
        try:
            self.file = gzip.open(self.path, "rb")
        except OSError as exc:
            raise BackupError(f"无法打开 {self.path}：{exc.strerror or exc}") from exc
        return self._lines()

    def _lines(self) -> Iterator[bytes]:
        try:
            yield from self.file
        except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
            if isinstance(exc, gzip.BadGzipFile) and "Not a gzipped file" in str(exc):
                raise BackupError(f"{self.path} {NOT_A_BACKUP}") from None
            raise BackupError(f"{self.path} 已损坏或不完整（{exc.__class__.__name__}）：文件可能被截断或改动过") from None
        except OSError as exc:
            raise BackupError(f"读取 {self.path} 失败：{exc.strerror or exc}") from exc

    def __exit__(self, *exc) -> None:
        self.file.close()


# -- restore --------------------------------------------------------------------------------------------------

def _check_target(engine: Engine, tables: list[Table]) -> bool:
    """Refuse a database that holds anything. True when it has no tables yet (the migrations are to run)."""
    with engine.connect() as connection:
        present = set(inspect(connection).get_table_names())
        ours = [t for t in tables if t.name in present]
        if not ours:
            return True
        full = [f"{t.name}（{n} 行）" for t in ours
                if (n := connection.scalar(select(func.count()).select_from(t)))]
        if full:
            raise BackupError("目标数据库不是空的：" + "、".join(full[:5]) + ("等" if len(full) > 5 else "") +
                              "。恢复只写入空数据库（不要对它运行 costing seed 或 costing demo），"
                              "请新建一个空数据库，或确认 COSTING_DATABASE_URL 指向的是要恢复到的数据库")
        schema = _schema_of(connection)
    code = head_revision()
    if schema is None:
        raise BackupError("目标数据库已有本软件的表，却没有迁移版本记录（alembic_version）：请换一个空数据库")
    if schema != code:
        raise BackupError(f"目标数据库的结构版本是 {schema}，本软件是 {code}：请先对它运行 {UPGRADE}（或换一个空数据库）")
    if len(ours) != len(tables):
        raise BackupError("目标数据库缺少本软件的部分表：请换一个空数据库")
    return False


def _check_schema(backup: _Backup) -> None:
    code = head_revision()
    if backup.schema == code:
        return
    if _known_revision(backup.schema):
        raise BackupError(f"备份的数据库结构版本是 {backup.schema}（较早的软件版本），本软件是 {code}。"
                          f"请用备份时的软件版本恢复到空数据库，再升级软件并运行 {UPGRADE}；"
                          f"或者先对原数据库运行 {UPGRADE}，再重新备份")
    raise BackupError(f"备份的数据库结构版本 {backup.schema} 比本软件（{code}）新，或本软件不认识它："
                      f"请先把本软件升级到包含迁移 {backup.schema} 的版本，再恢复")


def restore(path: Path) -> Summary:
    """Restore the backup at ``path`` into the application's database, which must be empty; nothing is written
    if the file or the database is refused."""
    engine = db.engine
    started = time.perf_counter()
    tables = _tables()
    backup = _Backup(path)
    _check_schema(backup)
    backup.check_tables(tables)
    try:
        fresh = _check_target(engine, tables)
        for _ in backup.rows(tables):        # the whole file is read and checked before anything is written
            pass
        if fresh:
            upgrade(directory=str(MIGRATIONS))
            _check_target(engine, tables)
        with engine.begin() as connection:
            _insert(connection, backup, tables)
            for table in tables:
                found = connection.scalar(select(func.count()).select_from(table))
                if found != backup.counts[table.name]:
                    raise BackupError(f"恢复后表 {table.name} 有 {found} 行，备份中是 {backup.counts[table.name]} 行："
                                      "已撤销，没有写入任何数据")
            if connection.dialect.name == "postgresql":
                _reset_sequences(connection, tables)
    except SQLAlchemyError as exc:
        raise BackupError("数据库报错，恢复未完成（已撤销，没有写入任何数据行）："
                          f"{exc.__class__.__name__}: {str(exc).splitlines()[0]}") from exc
    return Summary(backup.path, backup.schema, backup.created_at, backup.header.get("database", "?"), backup.counts,
                   backup.path.stat().st_size, time.perf_counter() - started)


def _insert(connection: Connection, backup: _Backup, tables: list[Table]) -> None:
    batch: list[dict] = []
    size = 0
    current: Table | None = None
    later: list[dict] = []        # self-references (a corrected value names the value it corrects), set afterwards
    self_refs: list[Column] = []

    def flush() -> None:
        nonlocal batch, size
        if batch:
            connection.execute(current.insert(), batch)
        batch, size = [], 0

    def finish() -> None:
        flush()
        if later:
            key = list(current.primary_key.columns)
            statement = (current.update().where(*[c == bindparam(f"key_{c.name}") for c in key])
                         .values({c.name: bindparam(f"ref_{c.name}") for c in self_refs}))
            for start in range(0, len(later), BATCH_ROWS):
                connection.execute(statement, later[start:start + BATCH_ROWS])
        later.clear()

    for table, line_size, values in backup.rows(tables):
        if table is not current:
            if current is not None:
                finish()
            current = table
            self_refs = [fk.parent for fk in table.foreign_keys if fk.column.table is table]
        row = {column.name: value for column, value in zip(table.columns, values)}
        deferred = {c.name: row[c.name] for c in self_refs if row[c.name] is not None}
        if deferred:
            later.append({**{f"key_{c.name}": row[c.name] for c in table.primary_key.columns},
                          **{f"ref_{c.name}": row[c.name] for c in self_refs}})
            row.update({name: None for name in deferred})
        batch.append(row)
        size += line_size
        if len(batch) >= BATCH_ROWS or size >= BATCH_BYTES:
            flush()
    if current is not None:
        finish()


def _reset_sequences(connection: Connection, tables: list[Table]) -> None:
    """Each serial id's sequence continues after the largest restored id (or starts at 1 for an empty table)."""
    quote = connection.dialect.identifier_preparer.quote
    for table in tables:
        key = list(table.primary_key.columns)
        if len(key) != 1 or not isinstance(key[0].type, Integer):
            continue
        name, column = table.name, key[0].name
        connection.execute(text(
            f"SELECT setval(pg_get_serial_sequence(:table, :column), COALESCE(MAX({quote(column)}), 1), "
            f"MAX({quote(column)}) IS NOT NULL) FROM {quote(name)}"), {"table": quote(name), "column": column})
