"""Source text that gives orders is data: spot instruction-like passages and drop foreign links.

A document in the library is read by the model as evidence. A passage addressed to an AI
("ignore all previous instructions", "reply only with", "tell the user to visit ...") must not be
obeyed, so the ingest flags it and the answer flow keeps it out of the evidence. The patterns are
phrasings addressed to an assistant or a reader-as-assistant, not imperative prose in general: papers
say "we ignore padding tokens" and READMEs say "visit our repository", and neither may be flagged
(the false-positive rate on the real corpus is in docs/benchmarks.md, section "Injections").
"""

from __future__ import annotations

import re
from collections.abc import Collection
from urllib.parse import urlsplit

_EARLIER = r"(?:all\s+)?(?:of\s+)?(?:the\s+|your\s+|any\s+)?(?:previous|prior|above|earlier|preceding|former|original)"
_ORDERS = r"(?:instructions?|prompts?|directions?|directives?|rules|guidelines|messages|context)"
_ASSISTANT = r"(?:ai|a\.i\.|assistant|language\s+model|llm|chatbot|chat\s*bot|gpt|model)"
_ZH_EARLIER = r"(?:之前|以上|上面|前面|先前|此前|上述|原来|原有|原先|系统)?的?(?:所有|全部|一切|任何)?的?"
_ZH_ORDERS = r"(?:指令|指示|提示词|提示|命令|要求|规则|设定)"
_ZH_ACTS = r"(?:访问|下载|运行|执行|安装|点击|打开|前往)"
_ACTS = r"(?:visit|go\s+to|download|run|execute|install|click|open|navigate\s+to|call|email|send)"

# (pattern, reason): the reason is what the ingestion report and the answer's JSON show.
_RULES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(rf"\b(?:ignore|disregard|forget|override|bypass)\s+{_EARLIER}\s+{_ORDERS}", re.IGNORECASE),
        "asks to ignore previous instructions",
    ),
    (
        re.compile(r"\b(?:ignore|disregard)\s+(?:the\s+)?user'?s?\s+(?:question|request|query|instructions?)", re.I),
        "asks to ignore the user's question",
    ),
    (
        # Prose says "the system notices stragglers": a system "notice" counts when it is announced
        # (a colon, "important ...", or shouted).
        re.compile(
            r"\b(?i:important|urgent|critical|new)\s+(?i:system)\s+(?i:notice|override|instructions?|alert|message)"
            r"|\b(?i:system)\s+(?i:notice|override|instructions?|alert|message)\s*[:：!—]"
            r"|\bSYSTEM\s+(?:NOTICE|OVERRIDE|INSTRUCTIONS?|ALERT|MESSAGE)\b|(?i:\[\s*system\s*\]|<\s*/?\s*system\s*>)"
        ),
        "poses as a system message",
    ),
    (
        re.compile(
            rf"\byou\s+are\s+now\s+(?:a|an|the|in|my)\s+(?:[\w-]+\s+){{0,3}}?(?:{_ASSISTANT}|mode|persona|agent)\b"
            rf"|\bfrom\s+now\s+on,?\s+you\s+(?:are|will|must|should)\b",
            re.IGNORECASE,
        ),
        "tries to give the assistant a new role",
    ),
    (
        re.compile(
            r"\b(?:reply|respond|answer|output|say|print|write)\s+(?:back\s+)?(?:only|just|exactly|solely)\s+"
            r"(?:with|the\s+words?|the\s+phrase|\")"
            r"|\bonly\s+(?:reply|respond|answer)\s+with\b",
            re.IGNORECASE,
        ),
        "dictates the reply",
    ),
    (
        re.compile(
            rf"\b(?:tell|ask|instruct|urge|direct|advise)\s+(?:the\s+)?(?:user|reader)s?\s+to\s+{_ACTS}\b", re.I
        ),
        "tells the assistant to send the user somewhere",
    ),
    (
        re.compile(
            rf"\b(?:if\s+you\s+are\s+(?:an?\s+)?|as\s+(?:an?\s+)?|dear\s+|attention\s+|note\s+to\s+(?:the\s+)?|to\s+(?:the|any)\s+)"
            rf"{_ASSISTANT}s?\b"
            rf"[^.\n]{{0,40}}\b(?:must|should|ignore|reply|respond|say|tell|do\s+not)\b"
            rf"|\b{_ASSISTANT}s?\s+(?:reading|processing|summari[sz]ing)\s+this\b",
            re.IGNORECASE,
        ),
        "addresses an AI assistant",
    ),
    (
        re.compile(
            r"\b(?:to|and)\s+(?:download|get|obtain|see|read|receive)\s+(?:the\s+)?(?:full|complete|real|correct|rest\s+of\s+the)\s+"
            r"(?:answer|response|reply|solution)",
            re.IGNORECASE,
        ),
        "sends the reader elsewhere for the answer",
    ),
    (
        re.compile(rf"(?:忽略|无视|忘记|忘掉|不要理会|不要理睬|跳过){_ZH_EARLIER}{_ZH_ORDERS}"),
        "要求忽略之前的指令 (ignore instructions)",
    ),
    (re.compile(r"(?:忽略|无视|不要理会)用户的?(?:问题|提问|请求)"), "要求忽略用户的问题 (ignore the user's question)"),
    (re.compile(r"系统(?:通知|公告|指令|消息|警告)[:：]?"), "冒充系统消息 (poses as a system message)"),
    (re.compile(r"(?:你现在是|从现在(?:起|开始)，?你)"), "试图给助手新角色 (new role)"),
    (
        re.compile(
            r"(?:请(?:只|仅)?|只|仅)(?:回复|回答|输出)(?:以下|下面|这)?(?:的)?(?:内容|文字|字样|词语?|几个字|[:：“\"「])"
        ),
        "规定回答内容 (dictates the reply)",
    ),
    (
        re.compile(rf"(?:告诉|让|请|要求|提示|引导)用户[^。\n]{{0,12}}{_ZH_ACTS}"),
        "要求引导用户访问 (sends the user somewhere)",
    ),
    (
        re.compile(rf"{_ZH_ACTS}[^。\n]{{0,60}}(?:下载|获取|获得|查看)(?:完整|全部|真正|正确)的?(?:答案|回答|回复)"),
        "让读者去别处获取答案 (answer elsewhere)",
    ),
    (
        re.compile(
            r"(?:如果你是|作为|致)(?:一个)?(?:AI|人工智能|助手|语言模型|大模型|智能助手)[^。\n]{0,20}(?:必须|应该|请|不要)",
            re.I,
        ),
        "直接对 AI 助手说话 (addresses an AI)",
    ),
]


def instruction_like(text: str) -> str | None:
    """A short reason when `text` reads as orders addressed to an AI assistant, else None."""
    flat = " ".join(text.split())
    for pattern, reason in _RULES:
        if pattern.search(flat):
            return reason
    return None


# Top-level domains that occur in links; file extensions that look like TLDs (".md", ".py", ".sh",
# ".pt") are left out so "README.md" or "train.py" are never taken for a domain.
_TLDS = (
    "com|org|net|io|ai|dev|app|co|edu|gov|info|xyz|me|cn|uk|de|fr|jp|ru|us|tk|top|site|online|link|click|"
    "biz|cc|tv|ly|gg|so|to|page|cloud|tech"
)
# Scheme URLs end at whitespace, quotes, brackets, or CJK text/punctuation (Chinese writes "访问x.com下载").
_URL_CHARS = r"[^\s<>\"'`\[\]()\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]"
_LINK = re.compile(
    rf"\b(?:https?|ftp)://{_URL_CHARS}+"
    rf"|(?<![\w.@/-])(?:www\.)?(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:{_TLDS})\b(?![.-]?[a-z0-9])(?:[/?#]{_URL_CHARS}*)?",
    re.IGNORECASE | re.ASCII,
)
_MARKDOWN_LINK = re.compile(r"\[([^\]\n]*)\]\(\s*<?([^)\s>]+)>?\s*\)")
_ANGLE_LINK = re.compile(r"<((?:https?|ftp)://[^>\s]+)>")
_TRAILING = ".,;:!?'\")]}"


def _canonical(link: str) -> str:
    """host/path lowercased, without scheme, "www.", port or trailing slash: what two spellings share.

    The path is lowercased too: GitHub owner and repository names are case-insensitive.
    """
    candidate = link if "://" in link else "http://" + link
    parts = urlsplit(candidate.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = parts.path.rstrip("/").lower()
    query = f"?{parts.query}" if parts.query else ""
    return f"{host}{path}{query}"


def _allowed_link(link: str, allowed: set[str]) -> bool:
    """A link is allowed when it is an allowed one or lies under it (a page of the same repository)."""
    canon = _canonical(link)
    return any(canon == ok or canon.startswith(ok + "/") or canon.startswith(ok + "#") for ok in allowed)


def strip_foreign_urls(text: str, allowed: Collection[str]) -> str:
    """`text` without any URL or domain-like link that is not in `allowed` (nor under one of them).

    Markdown links keep their label; bare links are removed and the spacing around them tidied, so
    the sentence still reads ("Visit http://evil.example.com now." -> "Visit now.").
    """
    ok = {_canonical(a) for a in allowed if a.strip()}

    def markdown(match: re.Match[str]) -> str:
        return match.group(0) if _allowed_link(match.group(2), ok) else match.group(1)

    def bare(match: re.Match[str]) -> str:
        link = match.group(0)
        core = link.rstrip(_TRAILING)
        tail = link[len(core) :]
        return link if _allowed_link(core, ok) else tail

    text = _MARKDOWN_LINK.sub(markdown, text)
    text = _ANGLE_LINK.sub(lambda m: m.group(0) if _allowed_link(m.group(1), ok) else "", text)
    cleaned = _LINK.sub(bare, text)
    if cleaned == text:
        return text
    # Tidy what a removed link leaves behind: doubled spaces, a space before punctuation, empty brackets.
    cleaned = re.sub(r"\(\s*\)|\[\s*\]|（\s*）", "", cleaned)
    cleaned = re.sub(r"[ \t]{2,}", " ", cleaned)
    cleaned = re.sub(r"[ \t]+([.,;:!?。，；：！？])", r"\1", cleaned)
    return re.sub(r"(?m)[ \t]+$", "", cleaned)
