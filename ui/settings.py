"""The one typed settings object: defaults, then a TOML file, then READPATH_* environment variables."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import platformdirs
from pydantic import Field, SecretStr, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from ingest.errors import InputError

ENV_PREFIX = "READPATH_"


def default_home() -> Path:
    """The data directory: READPATH_HOME, else the platform's user data directory."""
    env = os.environ.get(f"{ENV_PREFIX}HOME")
    return Path(env).expanduser() if env else Path(platformdirs.user_data_dir("readpath"))


def config_path() -> Path:
    """The TOML settings file: READPATH_CONFIG, else config.toml in the data directory."""
    env = os.environ.get(f"{ENV_PREFIX}CONFIG")
    return Path(env).expanduser() if env else default_home() / "config.toml"


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"Settings file {path} is not valid TOML ({exc}); fix or remove it.") from exc


class _TomlSource(PydanticBaseSettingsSource):
    """Reads the TOML file; a [readpath] table or top-level keys both work."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self.__call__().get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        data = _read_toml(config_path())
        table = data.get("readpath", data)
        return {k: v for k, v in table.items() if k in self.settings_cls.model_fields}


class Settings(BaseSettings):
    """Everything a user can set. Each field is documented; `readpath config` shows them."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", validate_default=True)

    home: Path = Field(
        default_factory=default_home, description="Data directory: library, index, caches, models, plans."
    )
    language: Literal["en", "zh"] = Field(
        "en", description="Language of the interface and of generated text when none is asked for."
    )
    # --- ingest ---
    arxiv_api_url: str = Field("https://export.arxiv.org/api/query", description="arXiv API query endpoint.")
    arxiv_pdf_url: str = Field("https://arxiv.org/pdf", description="Base URL of arXiv PDFs; a PDF is <base>/<id>v<n>.")
    github_api_url: str = Field("https://api.github.com", description="GitHub REST API base URL.")
    github_raw_url: str = Field(
        "https://raw.githubusercontent.com",
        description="GitHub raw-content base URL; a file is <base>/<owner>/<repo>/<branch>/<path>.",
    )
    github_token: SecretStr | None = Field(
        None, description="GitHub token for higher rate limits (also read from GITHUB_TOKEN). Never printed."
    )
    arxiv_delay_s: float = Field(3.0, ge=0, description="Seconds between arXiv requests (arXiv's terms ask for 3).")
    http_timeout_s: float = Field(30.0, gt=0, description="Timeout of one HTTP request, in seconds.")
    http_retries: int = Field(
        4,
        ge=0,
        le=10,
        description="Retries of a timed-out, rate-limited (429) or 5xx request, with exponential backoff.",
    )
    backoff_base_s: float = Field(2.0, ge=0, description="First backoff delay in seconds; doubles on each retry.")
    max_pdf_mb: float = Field(50.0, gt=0, description="Largest PDF download or file accepted, in MiB.")
    user_agent: str = Field(
        "readpath/0.1 (research reading assistant; +https://github.com/readpath/readpath)",
        description="User-Agent sent to arXiv and GitHub.",
    )
    # --- index ---
    embedding_model: str = Field(
        "all-MiniLM-L6-v2",
        description="sentence-transformers model name or path; 'all-MiniLM-L6-v2' is the packaged offline model.",
    )
    chunk_tokens: int = Field(200, ge=32, le=8192, description="Largest chunk, in the embedding model's own tokens.")
    ann_threshold: int = Field(
        50_000, ge=1, description="Chunk count above which an approximate FAISS index replaces exact search."
    )
    weight_dense: float = Field(
        1.0, ge=0, description="Weight of the dense (embedding) ranking in the fusion of normalised scores."
    )
    weight_bm25: float = Field(
        2.0, ge=0, description="Weight of the BM25 keyword ranking in the fusion: as much as the two embedding "
        "rankings together, so an exact match of the question's words is not outvoted by them."
    )
    weight_crosslingual: float = Field(
        1.0,
        ge=0,
        description="Weight of the multilingual embedder's ranking, which lets questions and passages in "
        "different languages meet.",
    )
    weight_named: float = Field(
        3.0,
        ge=0,
        description="Weight of the ranking of a paper's own passages when the question names it (\"GShard\", "
        "\"Megatron-LM\"), so that READMEs and other papers citing it do not come first.",
    )
    crosslingual: bool = Field(
        True,
        description="Also embed chunks with the multilingual Universal Sentence Encoder, so questions and passages "
        "in different languages meet (adds about 12% to indexing time); changing it needs `readpath reindex`.",
    )
    top_k: int = Field(5, ge=1, le=100, description="Passages returned by a search or given to the LLM.")
    # --- assistant ---
    llm_backend: Literal["local", "openai", "ollama", "extractive"] = Field(
        "local", description="LLM backend: local GGUF, an OpenAI-compatible server, Ollama, or extractive (no LLM)."
    )
    llm_model_path: Path | None = Field(
        None, description="A GGUF file to use instead of the packaged Qwen2.5-Coder-1.5B-Instruct."
    )
    llm_threads: int = Field(2, ge=1, description="CPU threads of the local model.")
    llm_context: int = Field(4096, ge=512, description="Context size of the local model, in tokens.")
    llm_max_tokens: int = Field(384, ge=16, description="Most tokens an answer may generate.")
    llm_temperature: float = Field(0.2, ge=0, le=2, description="Sampling temperature.")
    answer_passages: int = Field(
        3,
        ge=1,
        le=10,
        description="Passages (trimmed to the sentences that matter) given to the LLM per answer;"
        " each adds about 100 prompt tokens, 0.6 s on 2 cores.",
    )
    openai_base_url: str = Field("https://api.openai.com/v1", description="Base URL of the OpenAI-compatible server.")
    openai_model: str = Field("gpt-4o-mini", description="Model name on the OpenAI-compatible server.")
    openai_api_key: SecretStr | None = Field(
        None, description="API key of the OpenAI-compatible server (also read from OPENAI_API_KEY). Never printed."
    )
    ollama_host: str = Field("http://127.0.0.1:11434", description="Ollama server address.")
    ollama_model: str = Field("qwen2.5:1.5b", description="Ollama model name.")
    # --- plans ---
    pages_per_hour: float = Field(
        6.0, gt=0, description="Reading speed for papers, in pages per hour, used to estimate hours."
    )
    repo_hours: float = Field(2.0, gt=0, description="Hours estimated for studying one repository.")
    course_hours: float = Field(6.0, gt=0, description="Hours estimated for one course or book chapter set.")
    web_hours: float = Field(1.0, gt=0, description="Hours estimated for one web page, tutorial or manual.")
    prerequisites_path: Path | None = Field(
        None, description="A prerequisite-graph TOML to plan with instead of the packaged seeds/prerequisites.toml."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Priority: explicit arguments, then environment, then the TOML file, then defaults.
        return (init_settings, env_settings, _TomlSource(settings_cls))

    @property
    def github_token_value(self) -> str | None:
        """The GitHub token from settings or the conventional GITHUB_TOKEN variable."""
        if self.github_token is not None:
            return self.github_token.get_secret_value()
        return os.environ.get("GITHUB_TOKEN") or None

    @property
    def openai_key_value(self) -> str | None:
        """The OpenAI-compatible key from settings or the conventional OPENAI_API_KEY variable."""
        if self.openai_api_key is not None:
            return self.openai_api_key.get_secret_value()
        return os.environ.get("OPENAI_API_KEY") or None


@dataclass(frozen=True)
class SettingView:
    """One effective setting for display: its value (secrets masked) and where it came from."""

    name: str
    value: str
    source: str
    description: str


def load_settings(**overrides: Any) -> Settings:
    """Settings from defaults, the TOML file and the environment; bad values are an InputError."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise InputError(
            f"Invalid settings: {exc.errors()[0]['loc']} {exc.errors()[0]['msg']}. "
            f"Check READPATH_* variables and {config_path()}."
        ) from exc


def _is_secret(info: FieldInfo) -> bool:
    """A secret is declared by its type (SecretStr, optional or not), never guessed from its name:
    `chunk_tokens` counts tokens and is shown, `github_token` is a credential and is not."""
    return info.annotation is SecretStr or SecretStr in get_args(info.annotation)


def describe_settings(settings: Settings) -> list[SettingView]:
    """Every field with its effective value and source (env, toml file, default); secrets masked."""
    toml = _TomlSource(Settings)()
    views = []
    for name, info in Settings.model_fields.items():
        value = getattr(settings, name)
        if f"{ENV_PREFIX}{name.upper()}" in os.environ:
            source = f"env {ENV_PREFIX}{name.upper()}"
        elif name in toml:
            source = f"file {config_path()}"
        else:
            source = "default"
        shown = ("(set)" if value is not None else "(not set)") if _is_secret(info) else str(value)
        views.append(SettingView(name, shown, source, info.description or ""))
    return views
