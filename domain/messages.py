"""What baoxue says to people, in Chinese by default and English with BAOXUE_LANG=en.

Shared by the server (which answers in the language each request asks for) and the officer's
client; standard library only."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Literal

Lang = Literal["zh", "en"]

# Per request on the server (each request carries its reader's language), per process in a command.
_lang: ContextVar[Lang] = ContextVar("baoxue_lang", default="zh")

MESSAGES: dict[str, tuple[str, str]] = {
    "already_running": (
        "数据目录 {data_dir} 的本地服务已在运行（进程 {pid}）",
        "the local stack for data dir {data_dir} is already running (pid {pid})",
    ),
    "port_taken": (
        "端口 {port} 已被占用（{what}），请用 {option} 指定其他端口",
        "port {port} is already in use ({what}); choose another with {option}",
    ),
    "starting": ("正在启动 {what} …", "starting {what} …"),
    "started": ("{what} 已就绪（{seconds:.1f} 秒）", "{what} ready ({seconds:.1f}s)"),
    "migrated": ("数据库已迁移至 {revision}", "database migrated to {revision}"),
    "ready": (
        "全部就绪。另开一个终端使用 baoxue 命令；按 Ctrl-C 停止。",
        "all ready. Use baoxue commands in another shell; Ctrl-C stops everything.",
    ),
    "child_died": (
        "{what} 已退出（代码 {code}），正在重启（第 {n} 次）",
        "{what} exited (code {code}); restarting (attempt {n})",
    ),
    "stopping": ("正在停止全部服务 …", "stopping every service …"),
    "stopped": ("已全部停止", "everything stopped"),
    "start_failed": ("{what} 启动失败：{reason}；日志见 {log}", "{what} failed to start: {reason}; see {log}"),
    "stack_not_running": (
        "本地服务未运行（数据目录 {data_dir}）：请先运行 baoxue up，"
        "或设置 BAOXUE_TEMPORAL_ADDRESS 和 BAOXUE_DATABASE_URL",
        "the local stack is not running (data dir {data_dir}): run baoxue up first, "
        "or set BAOXUE_TEMPORAL_ADDRESS and BAOXUE_DATABASE_URL",
    ),
    "unknown_township": (
        "未知乡镇（街道）：{name}；是否指：{suggestions}",
        "unknown township: {name}; did you mean: {suggestions}",
    ),
    "unknown_township_plain": ("未知乡镇（街道）：{name}", "unknown township: {name}"),
    "roster_ok": (
        "花名册无误：{groups} 个组，{townships} 个乡镇（街道）",
        "roster is sound: {groups} groups, {townships} townships",
    ),
    "roster_problems": ("花名册 {path} 有 {n} 处问题：", "roster {path} has {n} problems:"),
    "file_missing": ("文件不存在：{path}", "no such file: {path}"),
    "healthy": ("健康", "healthy"),
    "unhealthy": ("不健康", "unhealthy"),
    "actor_missing": (
        "请用 --as 姓名 或 BAOXUE_ACTOR 指明办理人",
        "name the acting officer with --as NAME or BAOXUE_ACTOR",
    ),
    "unknown_officer": (
        "{name} 不是登记的人员（见 baoxue officer list）",
        "{name} is not a registered officer (see baoxue officer list)",
    ),
    "open_not_permitted": (
        "{actor}（{role}）无权在 {township} 立案",
        "{actor} ({role}) may not open cases in {township}",
    ),
    "bad_id_number": ("身份证号无效（{reason}）：{masked}", "invalid ID number ({reason}): {masked}"),
    "bad_date": ("{option} 日期格式应为 YYYY-MM-DD：{value}", "{option} must be a date YYYY-MM-DD: {value}"),
    "bad_value": ("{option} 无效：{value}", "invalid {option}: {value}"),
    "bad_input": ("输入无效：{detail}", "invalid input: {detail}"),
    "unknown_campaign": (
        "未知的排查活动：{name}（见 baoxue campaign list）",
        "unknown campaign: {name} (see baoxue campaign list)",
    ),
    "no_campaign": ("还没有排查活动：请先 baoxue campaign add FILE", "no campaign yet: baoxue campaign add FILE first"),
    "case_not_found": ("找不到案件：{ref}", "no such case: {ref}"),
    "case_opened": ("已立案 {case_no}", "opened case {case_no}"),
    "case_exists": ("该儿童在本次排查中已有 {kind} 案件：{case_no}", "this child already has a {kind} case: {case_no}"),
    "step_done": ("{case_no}：{step}已记录，当前阶段 {stage}", "{case_no}: {step} recorded; now at {stage}"),
    "township_required": ("办案人员须指定 --township", "a case officer needs --township"),
    "township_not_allowed": ("只有办案人员才指定 --township", "only a case officer has a --township"),
    "officer_saved": ("已登记 {name}（{role}）", "registered {name} ({role})"),
    "officer_role_conflict": (
        "{name} 在花名册中是 {roles}，不能登记为 {role}",
        "{name} is {roles} in the roster, not {role}",
    ),
    "campaign_saved": ("已登记排查活动 {name}", "campaign {name} saved"),
    "campaign_file_bad": ("排查活动文件有误：{detail}", "campaign file is not valid: {detail}"),
    "roster_reloaded": (
        "花名册 {version}：已通知 {signalled} 件在办案件，{unchanged} 件无变化",
        "roster {version}: {signalled} open cases told, {unchanged} unchanged",
    ),
    "register_missing_columns": ("{file} 缺少必需的列：{detail}", "{file} lacks required columns: {detail}"),
    "register_unreadable": ("无法读取 {file}：{detail}", "cannot read {file}: {detail}"),
    "import_unchanged": (
        "{file} 已导入过（内容相同），未作改动：{register}，{campaign}",
        "{file} was imported before (same content); nothing changed: {register}, {campaign}",
    ),
    "import_done": (
        "已导入{register}（{campaign}）：{rows} 行，有效 {valid}，退回 {rejected}",
        "imported {register} ({campaign}): {rows} rows, {valid} valid, {rejected} rejected",
    ),
    "import_rejects": ("退回行清单：{path}", "rejected rows: {path}"),
    "discover_needs_county": (
        "比对立案须由县级人员执行，{actor}（{role}）不是",
        "discovery opens cases as a county officer; {actor} ({role}) is not",
    ),
    "discover_opening": ("正在立案", "opening cases"),
    "discover_summary": (
        "{campaign}：疑似失学辍学 {dropout}，资助未落实 {funding}，残疾未安置 {disability}；"
        "退回行 {rejected}；名单：{path}",
        "{campaign}: suspected dropout {dropout}, funding {funding}, disability {disability}; "
        "rejected rows {rejected}; list: {path}",
    ),
    "discover_applied": ("新立案 {opened} 件，已有 {already} 件", "opened {opened} cases, {already} already open"),
    "codec_server": (
        "编解码服务：{url}（令牌 {token}）；在 Web UI 的 Codec Server 设置中填写",
        "codec server: {url} (token {token}); set it as the web UI's codec server",
    ),
    "codec_rotated": (
        "已启用新密钥 {key}（{path}）；旧密钥保留用于解密。请重启 worker。",
        "new active key {key} ({path}); old keys kept for reading. Restart the workers.",
    ),
    "read_not_permitted": ("{actor}（{role}）无权查看案件 {case_no}", "{actor} ({role}) may not see case {case_no}"),
    "township_not_permitted": (
        "{actor}（{role}）无权查看 {township} 的案件",
        "{actor} ({role}) may not see cases of {township}",
    ),
    "admin_only": (
        "仅系统管理员可执行，{actor}（{role}）不是",
        "administrators only; {actor} ({role}) is not",
    ),
    "not_signed_in": (
        "尚未登录：请先运行 baoxue login --server 地址 --code 登记码",
        "not signed in: run baoxue login --server URL --code CODE first",
    ),
    "identity_not_here": (
        "本机档案中没有 {name} 的密钥（见 baoxue whoami；--as 只能选择本机已登录的身份）",
        "this profile holds no key for {name} (see baoxue whoami; --as only chooses among identities signed in here)",
    ),
    "identity_ambiguous": (
        "本机档案中有多个 {name}：请用 姓名@乡镇 指明（{candidates}）",
        "this profile holds several {name}: say NAME@TOWNSHIP ({candidates})",
    ),
    "key_refused": (
        "服务器拒绝了此密钥（未登记、已吊销或已被替换）：请重新登录",
        "the server refused this key (unknown, revoked or replaced): sign in again",
    ),
    "request_replayed": ("该请求已被使用过，拒绝重放", "this request was seen before; a replay is refused"),
    "request_stale": (
        "请求时间与服务器时间相差超过5分钟，请校准本机时间",
        "the request's time is more than 5 minutes from the server's; check this machine's clock",
    ),
    "code_invalid": (
        "登记码无效或已过期（72小时内有效，仅可使用一次）",
        "the code is invalid or expired (72 h, single use)",
    ),
    "server_unreachable": ("无法连接服务器 {url}：{reason}", "cannot reach the server {url}: {reason}"),
    "no_server": (
        "不知道服务器地址：请设置 BAOXUE_SERVER，或用 baoxue login --server 地址 登录",
        "no server known: set BAOXUE_SERVER or sign in with baoxue login --server URL",
    ),
    "officer_ambiguous": (
        "有多位 {name}：请用 姓名@乡镇 或编号指明（{candidates}）",
        "several officers are called {name}: say NAME@TOWNSHIP or the id ({candidates})",
    ),
    "officer_code": (
        "已登记 {name}（{role}）。登记码 {code}（72小时内有效，仅可使用一次）；"
        "请本人运行：baoxue login --server {server} --code {code}",
        "registered {name} ({role}). Code {code} (72 h, single use); "
        "they run: baoxue login --server {server} --code {code}",
    ),
    "officer_revoked": ("已吊销 {name} 的密钥", "revoked the key of {name}"),
    "logged_in": ("已登录：{name}（{role}），服务器 {server}", "signed in as {name} ({role}) at {server}"),
    "logged_out": ("已从本机档案移除 {name} 的密钥", "removed the key of {name} from this profile"),
    "missing_key_setting": (
        "缺少密钥，无法启动：{detail}（设置 {setting}）",
        "a key is missing; not starting: {detail} ({setting})",
    ),
    "county_only": ("仅县级人员可查看，{actor}（{role}）不是", "county officers only; {actor} ({role}) is not"),
    "reveal_not_permitted": (
        "{actor}（{role}）无权查看案件 {case_no} 的完整姓名和身份证号",
        "{actor} ({role}) may not reveal the name and ID number of case {case_no}",
    ),
    "purpose_required": ("查看完整信息须用 --purpose 说明用途", "--reveal needs --purpose TEXT"),
    "retention_done": (
        "已匿名化结案超过 {days} 天的案件 {cases} 件、儿童 {students} 人",
        "anonymised {cases} cases closed over {days} days ago, {students} children",
    ),
    "retention_dry": (
        "（试运行）将匿名化结案超过 {days} 天的案件 {cases} 件、儿童 {students} 人",
        "(dry run) would anonymise {cases} cases closed over {days} days ago, {students} children",
    ),
    "unexpected": ("意外错误：{error}", "unexpected error: {error}"),
}


def current_lang() -> Lang:
    return _lang.get()


def set_lang(lang: Lang) -> None:
    _lang.set(lang)


def t(key: str, **params: object) -> str:
    zh, en = MESSAGES[key]
    return (en if _lang.get() == "en" else zh).format(**params)
