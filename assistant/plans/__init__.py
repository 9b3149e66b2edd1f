"""Reading plans: catalogue, prerequisite graph, selection, weekly schedule, written notes, export."""

from assistant.plans.builder import LibraryFacts, PlanRequest, build_plan, mark_done, replan
from assistant.plans.export import plan_from_dict, plan_markdown, plan_to_dict, weeks_needed
from assistant.plans.graph import PrereqGraph, load_prerequisites
from assistant.plans.schedule import PREFERENCES, ReadingSpeed
from assistant.plans.text import PlanWriter, skipped_note

__all__ = [
    "PREFERENCES",
    "LibraryFacts",
    "PlanRequest",
    "PlanWriter",
    "PrereqGraph",
    "ReadingSpeed",
    "build_plan",
    "load_prerequisites",
    "mark_done",
    "plan_from_dict",
    "plan_markdown",
    "plan_to_dict",
    "replan",
    "skipped_note",
    "weeks_needed",
]
