"""What baoxue says to people: the messages by key, in Chinese; English in the catalogue
(domain/i18n.py). Shared by the server (which answers in each request's language) and the
officer's client; standard library only."""

from __future__ import annotations

from domain.i18n import N_, Lang, current_lang, set_lang, translate

__all__ = ["MESSAGES", "Lang", "current_lang", "set_lang", "t"]

MESSAGES: dict[str, str] = {
    "already_running": N_("数据目录 {data_dir} 的本地服务已在运行（进程 {pid}）"),
    "port_taken": N_("端口 {port} 已被占用（{what}），请用 {option} 指定其他端口"),
    "starting": N_("正在启动 {what} …"),
    "started": N_("{what} 已就绪（{seconds:.1f} 秒）"),
    "migrated": N_("数据库已迁移至 {revision}"),
    "ready": N_("全部就绪。另开一个终端使用 baoxue 命令；按 Ctrl-C 停止。"),
    "child_died": N_("{what} 已退出（代码 {code}），正在重启（第 {n} 次）"),
    "stopping": N_("正在停止全部服务 …"),
    "stopped": N_("已全部停止"),
    "start_failed": N_("{what} 启动失败：{reason}；日志见 {log}"),
    "stack_not_running": N_(
        "本地服务未运行（数据目录 {data_dir}）：请先运行 baoxue up，或设置 BAOXUE_TEMPORAL_ADDRESS 和 BAOXUE_DATABASE_URL"
    ),
    "codec_foreign_origin": N_("解码请求来自未允许的来源 {origin}（BAOXUE_TEMPORAL_UI_ORIGINS）"),
    "codec_endpoint_ready": N_(
        "Temporal Web UI 的解码端点（8 小时内有效，请勿转给他人）：在 Web UI 的 Codec Server 设置中填入\n{endpoint}"
    ),
    "database_owner_needed": N_(
        "数据库拒绝连接：需要数据库所有者的凭据（本地服务的密码文件只有运行 baoxue up 的用户可读；或设置 BAOXUE_DATABASE_URL）"
    ),
    "unknown_township": N_("未知乡镇（街道）：{name}；是否指：{suggestions}"),
    "unknown_township_plain": N_("未知乡镇（街道）：{name}"),
    "roster_ok": N_("花名册无误：{groups} 个组，{townships} 个乡镇（街道）"),
    "roster_problems": N_("花名册 {path} 有 {n} 处问题："),
    "file_missing": N_("文件不存在：{path}"),
    "healthy": N_("健康"),
    "unhealthy": N_("不健康"),
    "actor_missing": N_("请用 --as 姓名 或 BAOXUE_ACTOR 指明办理人"),
    "unknown_officer": N_("{name} 不是登记的人员（见 baoxue officer list）"),
    "open_not_permitted": N_("{actor}（{role}）无权在{township}立案"),
    "bad_id_number": N_("身份证号无效（{reason}）：{masked}"),
    "bad_date": N_("{option} 日期格式应为 YYYY-MM-DD：{value}"),
    "bad_value": N_("{option} 无效：{value}"),
    "bad_input": N_("输入无效：{detail}"),
    "unknown_campaign": N_("未知的排查活动：{name}（见 baoxue campaign list）"),
    "no_campaign": N_("还没有排查活动：请先 baoxue campaign add FILE"),
    "case_not_found": N_("找不到案件：{ref}"),
    "case_opened": N_("已立案 {case_no}"),
    "case_exists": N_("该儿童在本次排查中已有{kind}案件：{case_no}"),
    "step_done": N_("{case_no}：{step}已记录，当前阶段 {stage}"),
    "township_required": N_("办案人员和乡镇教育管理中心负责人须指定 --township"),
    "township_not_allowed": N_("只有办案人员和乡镇教育管理中心负责人才指定 --township"),
    "officer_saved": N_("已登记 {name}（{role}）"),
    "officer_role_conflict": N_("{name} 在花名册中是 {roles}，不能登记为 {role}"),
    "campaign_saved": N_("已登记排查活动 {name}"),
    "campaign_file_bad": N_("排查活动文件有误：{detail}"),
    "roster_reloaded": N_("花名册 {version}：已通知 {signalled} 件在办案件，{unchanged} 件无变化"),
    "register_missing_columns": N_("{file} 缺少必需的列：{detail}"),
    "register_unreadable": N_("无法读取 {file}：{detail}"),
    "register_no_valid_rows": N_("{file} 没有一行有效（{rows} 行全部退回），未导入；确需以空表替换请加 --replace"),
    "register_shrinks": N_("{file} 只有 {valid} 行有效，现用版本有 {current} 行，未导入；确认以此替换请加 --replace"),
    "import_reinstated": N_("{file} 曾经导入过，现重新设为当前版本：{register}，{campaign}"),
    "io_error": N_("无法写入 {path}：{error}"),
    "import_unchanged": N_("{file} 已导入过（内容相同），未作改动：{register}，{campaign}"),
    "import_done": N_("已导入{register}（{campaign}）：{rows} 行，有效 {valid}，退回 {rejected}"),
    "import_rejects": N_("退回行清单：{path}"),
    "discover_needs_county": N_("比对立案须由县级人员执行，{actor}（{role}）不是"),
    "discover_opening": N_("正在立案"),
    "discover_summary": N_(
        "{campaign}：疑似失学辍学 {dropout}，资助未落实 {funding}，残疾未安置 {disability}；退回行 {rejected}\n名单：{path}"
    ),
    "evidence_too_large": N_("佐证资料须为 1 字节至 {limit} MB（此文件 {size} 字节）"),
    "evidence_wrong_type": N_("佐证资料只接受 JPG、PNG 照片或 PDF 文件（按文件内容判断）"),
    "evidence_unknown": N_("案件 {case_no} 没有编号为 {id} 的佐证资料"),
    "evidence_not_found": N_("案件 {case_no} 没有第 {n} 份佐证资料"),
    "evidence_erased": N_("案件 {case_no} 的第 {n} 份佐证资料已按保存期限删除"),
    "evidence_saved": N_("已保存：{path}（{size} 字节，SHA-256 {sha256}）"),
    "evidence_missing_file": N_("找不到文件：{path}"),
    "dashboard_link_refused": N_("登录链接无效、已使用或已过期（2分钟内有效）：请重新运行 baoxue dashboard"),
    "dashboard_signed_out": N_("未登录或登录已过期：请运行 baoxue dashboard 打开新的登录链接"),
    "dashboard_link": N_("登录链接（2分钟内有效，仅可使用一次）：{url}"),
    "dashboard_ended": N_("已退出全部看板登录（{n} 个）"),
    "report_heading": N_("{campaign}：截至 {as_of}，清零期限 {deadline}，还剩 {days} 天"),
    "report_saved": N_("已保存：{path}（{size} 字节，截至 {as_of}）"),
    "campaign_no_aid_rule": N_("{name} 未设资助规则（aid_period、aid_items）：任何一条资助发放记录都算资助到位"),
    "absence_school_only": N_("缺勤报告由学校专干提交，{actor} 不是学校专干"),
    "absence_days_or_back": N_("请给出 --days N（报告缺勤）或 --back CASE（报告返校）"),
    "absence_intake": N_("学校报告连续缺勤 {days} 天"),
    "absence_opened": N_("已立案 {case_no}（疑似辍学），已交乡镇办案人员，当天入户走访"),
    "absence_exists": N_("该学生已有案件 {case_no}"),
    "absence_recorded": N_("已记录缺勤 {days} 天（满 {threshold} 天才立案）"),
    "school_required": N_("学校专干须用 --school 指明学校"),
    "school_not_allowed": N_("只有学校专干（--role school）才指明学校"),
    "unknown_school": N_("未知学校：{name}（先用 baoxue school add 添加）"),
    "school_added": N_("已新增学校：{name}（{township}，{stage}）"),
    "school_updated": N_("已更新学校：{name}（{township}，{stage}）"),
    "schools_imported": N_("学校名单：新增 {added} 所，更新 {updated} 所，退回 {rejected} 行"),
    "schools_rejected_row": N_("第 {row} 行：{reason}"),
    "discover_attendance_missing": N_("这些乡镇没有现行的在校生名单，未作学籍与在校比对：{townships}"),
    "discover_review": N_("{count} 名学生在校状态无法识别：未计为在校、未立案，已列入清单待乡镇核实"),
    "discover_applied": N_("新立案 {opened} 件，重新立案（再次辍学等）{reopened} 件，已有 {already} 件"),
    "codec_server": N_("编解码服务：{url}（令牌 {token}）；在 Web UI 的 Codec Server 设置中填写"),
    "codec_rotated_env": N_(
        "已生成新启用密钥 {key}。密钥环来自环境变量：请把每台服务器与 worker 的 BAOXUE_CODEC_KEYS 设为下一行，再重启它们"
    ),
    "secret_rotated": N_(
        "已添加第 {number} 个数据密钥（{path}），新数据用它加密，旧数据仍可读取。请备份该文件并重启 worker 与服务器。"
    ),
    "secret_rotated_env": N_(
        "已生成第 {number} 个数据密钥。密钥来自环境变量：请把服务器与 worker 的 BAOXUE_SECRET_KEY 设为下一行（旧密钥在前），再重启它们"
    ),
    "codec_rotated": N_("已启用新密钥 {key}（{path}）；旧密钥保留用于解密。请重启 worker。"),
    "act_not_permitted": N_("{actor}（{role}）无权办理{township}的案件"),
    "read_not_permitted": N_("{actor}（{role}）无权查看案件 {case_no}"),
    "township_not_permitted": N_("{actor}（{role}）无权查看{township}的案件"),
    "admin_only": N_("仅系统管理员可执行，{actor}（{role}）不是"),
    "not_signed_in": N_("尚未登录：请先运行 baoxue login --server 地址 --code 登记码"),
    "identity_not_here": N_("本机档案中没有 {name} 的密钥（见 baoxue whoami；--as 只能选择本机已登录的身份）"),
    "identity_ambiguous": N_("本机档案中有多个 {name}：请用 姓名@乡镇 指明（{candidates}）"),
    "key_refused": N_("服务器拒绝了此密钥（未登记、已吊销或已被替换）：请重新登录"),
    "request_replayed": N_("该请求已被使用过，拒绝重放"),
    "request_stale": N_("请求时间与服务器时间相差超过5分钟，请校准本机时间"),
    "code_invalid": N_("登记码无效或已过期（72小时内有效，仅可使用一次）"),
    "server_unreachable": N_("无法连接服务器 {url}：{reason}"),
    "no_server": N_("不知道服务器地址：请设置 BAOXUE_SERVER，或用 baoxue login --server 地址 登录"),
    "officer_ambiguous": N_("有多位 {name}：请用 姓名@乡镇 或编号指明（{candidates}）"),
    "officer_code": N_(
        "已登记 {name}（{role}）。登记码 {code}（72小时内有效，仅可使用一次）；请本人运行：baoxue login --server {server} --code {code}"
    ),
    "officer_revoked": N_("已吊销 {name} 的密钥"),
    "logged_in": N_("已登录：{name}（{role}），服务器 {server}"),
    "logged_out": N_("已从本机档案移除 {name} 的密钥"),
    "missing_key_setting": N_("缺少密钥，无法启动：{detail}（设置 {setting}）"),
    "county_only": N_("仅县级人员可查看，{actor}（{role}）不是"),
    "reveal_not_permitted": N_("{actor}（{role}）无权查看案件 {case_no} 的完整姓名和身份证号"),
    "campaign_rechecks": N_("已安排 {name} 的复查提醒：到期未导入在校生名单将逐级督办"),
    "ledger_day_replaced": N_(
        "{day} 那天的登记表已被新版本替换，旧版本的行已按数据最小化删除，无法重现该日的适龄儿童台账"
    ),
    "ledger_written": N_("{book}：{rows} 行，已写入 {path}"),
    "purpose_required": N_("查看完整信息须用 --purpose 说明用途（至少 {minimum} 个字）"),
    "retention_done": N_("已匿名化结案超过 {days} 天的案件 {cases} 件、儿童 {students} 人"),
    "retention_dry": N_("（试运行）将匿名化结案超过 {days} 天的案件 {cases} 件、儿童 {students} 人"),
    "count_cases": N_("共 {n} 件"),
    "database_unavailable": N_("台账数据库暂时不可用：请稍后重试"),
    "verify_done": N_("已核对 {cases} 件案件：差异 {differences} 处，已修复 {repaired} 处"),
    "step_not_accepted": N_(
        "{seconds} 秒内未能确认案件受理此步（服务繁忙或 worker 未运行）：请稍后重试，若此步其实已记录，重试会说明"
    ),
    "step_ledger_pending": N_("已受理；台账稍后更新"),
    "step_already_recorded": N_("{case_no}：此步此前已记录（同一人、同样内容），未重复记录"),
    "text_too_long": N_("{option} 太长：{length} 字，最多 {limit} 字"),
    "text_control_characters": N_("{option} 含有控制字符（不可见字符或文字方向控制符），请删去后重试"),
    "too_many_items": N_("{option} 太多：{count} 项，最多 {limit} 项"),
    "step_too_large": N_("所填内容太大：{size} KB，最多 {limit} KB"),
    "unstorable_value": N_("含有无法保存的字符或数值（如不可见的控制字符）"),
    "server_slow": N_("服务器未能在 {seconds} 秒内作答（Temporal 或台账数据库繁忙）：请稍后重试"),
    "setting_unusable": N_("{setting} 无法使用：{detail}"),
    "body_too_large": N_("请求内容太大：最多 {limit}"),
    "dashboard_foreign_origin": N_("此操作只能在看板自己的页面上提交"),
    "date_out_of_range": N_("{option} 日期不合理：{value}（应在 {earliest} 至 {latest} 之间）"),
    "step_rate_limited": N_("一小时内在同一案件上最多记录 {limit} 次，请稍后再试"),
    "child_not_born": N_("出生日期 {born} 晚于今天：请核对身份证号"),
    "child_age": N_("按排查基准日 {reference} 计算该儿童 {age} 周岁，此类案件只受理 {low}–{high} 周岁"),
    "child_held_elsewhere": N_("该儿童的同类案件已由其他乡镇（街道）立案，您无权查看：请与县级联系"),
    "open_mismatch": N_("注意：已有案件 {case_no} 中该儿童的{fields}与本次输入不同（已记入审计）"),
    "mismatch_name": N_("姓名"),
    "mismatch_township": N_("乡镇（街道）"),
    "target_after_deadline": N_("注意：目标日期 {target} 晚于清零期限 {deadline}，本案将错过清零期限"),
    "count_rows": N_("共 {n} 条"),
    "whoami": N_("{name}（{role}{where}）  {server}"),
    "usage_error": N_("{message}（用法见 {command} --help）"),
    "undecodable_input": N_("输入含有无法识别的字符：请使用 UTF-8 编码"),
    "bad_setting": N_("设置 {setting} 无效：{value}（应为 {expected}）"),
    "unexpected": N_("意外错误：{error}"),
}


def t(key: str, /, **params: object) -> str:
    """The message `key` in the current language, its parameters filled in."""
    return translate(MESSAGES[key]).format(**params)
