"""Reactor: an actor-pipeline LLM router.

# Layout

- runtime: `Actor`, `Mailbox`, `Flow`, `System`, `Clock` (generic, no LLM knowledge)
- messages: `_wire` (OpenAI wire format), `_events` (flow events), `_messages` (between
  stages), `_config` (router.toml)
- wiring: `_pipeline` (which stage feeds which), `_router` (the embedded API),
  `_server` (aiohttp), `_cli` (the `reactor` command)

Stages live in the `stages` package and import only from here.
"""

from reactor._actor import Actor as Actor
from reactor._clock import Clock as Clock
from reactor._clock import FakeClock as FakeClock
from reactor._clock import SystemClock as SystemClock
from reactor._config import AdmissionConfig as AdmissionConfig
from reactor._config import AnalyzerConfig as AnalyzerConfig
from reactor._config import AnthropicUpstream as AnthropicUpstream
from reactor._config import BreakerConfig as BreakerConfig
from reactor._config import CacheConfig as CacheConfig
from reactor._config import EmbedderConfig as EmbedderConfig
from reactor._config import GeminiUpstream as GeminiUpstream
from reactor._config import HashingEmbedderConfig as HashingEmbedderConfig
from reactor._config import HttpEmbedderConfig as HttpEmbedderConfig
from reactor._config import LedgerConfig as LedgerConfig
from reactor._config import LLMClassifierConfig as LLMClassifierConfig
from reactor._config import MetricsConfig as MetricsConfig
from reactor._config import MiniLMEmbedderConfig as MiniLMEmbedderConfig
from reactor._config import ModelConfig as ModelConfig
from reactor._config import OpenAIUpstream as OpenAIUpstream
from reactor._config import ProviderConfig as ProviderConfig
from reactor._config import RetryConfig as RetryConfig
from reactor._config import RouterConfig as RouterConfig
from reactor._config import RuntimeConfig as RuntimeConfig
from reactor._config import SelectorConfig as SelectorConfig
from reactor._config import SimulatedUpstream as SimulatedUpstream
from reactor._config import TenantConfig as TenantConfig
from reactor._config import TenantLimits as TenantLimits
from reactor._config import load_config as load_config
from reactor._config import parse_config as parse_config
from reactor._errors import ConfigError as ConfigError
from reactor._errors import Escalated as Escalated
from reactor._errors import FlowClosed as FlowClosed
from reactor._errors import MailboxClosed as MailboxClosed
from reactor._errors import MailboxFull as MailboxFull
from reactor._errors import ReactorError as ReactorError
from reactor._errors import RequestFailed as RequestFailed
from reactor._errors import RouterClosed as RouterClosed
from reactor._events import Decided as Decided
from reactor._events import Done as Done
from reactor._events import ErrorInfo as ErrorInfo
from reactor._events import Failed as Failed
from reactor._events import FlowEvent as FlowEvent
from reactor._events import Part as Part
from reactor._events import Started as Started
from reactor._events import Token as Token
from reactor._events import ToolCallDelta as ToolCallDelta
from reactor._events import Usage as Usage
from reactor._fanout import Outcomes as Outcomes
from reactor._flow import Flow as Flow
from reactor._flow import Reply as Reply
from reactor._mailbox import Inbox as Inbox
from reactor._mailbox import Mailbox as Mailbox
from reactor._messages import Admitted as Admitted
from reactor._messages import Analyze as Analyze
from reactor._messages import Analyzed as Analyzed
from reactor._messages import Attempt as Attempt
from reactor._messages import Candidate as Candidate
from reactor._messages import Completed as Completed
from reactor._messages import Decision as Decision
from reactor._messages import Dispatch as Dispatch
from reactor._messages import Features as Features
from reactor._messages import Feedback as Feedback
from reactor._messages import Job as Job
from reactor._messages import Quota as Quota
from reactor._messages import Routed as Routed
from reactor._messages import Select as Select
from reactor._messages import Submitted as Submitted
from reactor._messages import TaskType as TaskType
from reactor._messages import stage_times as stage_times
from reactor._messages import stamp as stamp
from reactor._router import Router as Router
from reactor._system import RestartPolicy as RestartPolicy
from reactor._system import System as System
from reactor._wire import ChatCompletion as ChatCompletion
from reactor._wire import ChatMessage as ChatMessage
from reactor._wire import ChatRequest as ChatRequest
from reactor._wire import ImagePart as ImagePart
from reactor._wire import InvalidRequest as InvalidRequest
from reactor._wire import StreamOptions as StreamOptions
from reactor._wire import decode_chat_request as decode_chat_request

__all__ = [
    "Actor",
    "AdmissionConfig",
    "Admitted",
    "Analyze",
    "Analyzed",
    "AnalyzerConfig",
    "AnthropicUpstream",
    "Attempt",
    "BreakerConfig",
    "CacheConfig",
    "Candidate",
    "ChatCompletion",
    "ChatMessage",
    "ChatRequest",
    "Clock",
    "Completed",
    "ConfigError",
    "Decided",
    "Decision",
    "Dispatch",
    "Done",
    "EmbedderConfig",
    "ErrorInfo",
    "Escalated",
    "Failed",
    "FakeClock",
    "Features",
    "Feedback",
    "Flow",
    "FlowClosed",
    "FlowEvent",
    "GeminiUpstream",
    "HashingEmbedderConfig",
    "HttpEmbedderConfig",
    "ImagePart",
    "Inbox",
    "InvalidRequest",
    "Job",
    "LLMClassifierConfig",
    "LedgerConfig",
    "Mailbox",
    "MailboxClosed",
    "MailboxFull",
    "MetricsConfig",
    "MiniLMEmbedderConfig",
    "ModelConfig",
    "OpenAIUpstream",
    "Outcomes",
    "Part",
    "ProviderConfig",
    "Quota",
    "ReactorError",
    "Reply",
    "RequestFailed",
    "RestartPolicy",
    "RetryConfig",
    "Routed",
    "Router",
    "RouterClosed",
    "RouterConfig",
    "RuntimeConfig",
    "Select",
    "SelectorConfig",
    "SimulatedUpstream",
    "Started",
    "StreamOptions",
    "Submitted",
    "System",
    "SystemClock",
    "TaskType",
    "TenantConfig",
    "TenantLimits",
    "Token",
    "ToolCallDelta",
    "Usage",
    "decode_chat_request",
    "load_config",
    "parse_config",
    "stage_times",
    "stamp",
]
