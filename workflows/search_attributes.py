"""Custom search attributes: opaque or non-personal case fields only (never names or ID numbers)."""

from temporalio.common import SearchAttributeIndexedValueType, SearchAttributeKey

CASE_KIND = SearchAttributeKey.for_keyword("BaoxueKind")
CASE_STAGE = SearchAttributeKey.for_keyword("BaoxueStage")
CASE_TOWNSHIP = SearchAttributeKey.for_keyword("BaoxueTownship")
CASE_CAMPAIGN = SearchAttributeKey.for_keyword("BaoxueCampaign")
CASE_GROUP = SearchAttributeKey.for_int("BaoxueGroup")
STAGE_DUE_AT = SearchAttributeKey.for_datetime("BaoxueDueAt")
ESCALATION_LEVEL = SearchAttributeKey.for_int("BaoxueLevel")

ALL_SEARCH_ATTRIBUTES = (
    CASE_KIND,
    CASE_STAGE,
    CASE_TOWNSHIP,
    CASE_CAMPAIGN,
    CASE_GROUP,
    STAGE_DUE_AT,
    ESCALATION_LEVEL,
)

_CLI_TYPE_NAMES = {
    SearchAttributeIndexedValueType.KEYWORD: "Keyword",
    SearchAttributeIndexedValueType.INT: "Int",
    SearchAttributeIndexedValueType.DATETIME: "Datetime",
}


def dev_server_flags() -> list[str]:
    """`--search-attribute Name=Type` flags for `temporal server start-dev`."""
    flags: list[str] = []
    for key in ALL_SEARCH_ATTRIBUTES:
        flags += ["--search-attribute", f"{key.name}={_CLI_TYPE_NAMES[key.indexed_value_type]}"]
    return flags
