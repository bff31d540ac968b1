"""What the CLI says to people, in Chinese by default and English with BAOXUE_LANG=en."""

from __future__ import annotations

from typing import Literal

Lang = Literal["zh", "en"]

_lang: Lang = "zh"

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
    "worker_stopping": ("收到停止信号，worker 正在完成手头任务 …", "stop signal: the worker finishes its tasks …"),
    "unexpected": ("意外错误：{error}", "unexpected error: {error}"),
}


def set_lang(lang: Lang) -> None:
    global _lang
    _lang = lang


def t(key: str, **params: object) -> str:
    zh, en = MESSAGES[key]
    return (en if _lang == "en" else zh).format(**params)
