"""The IAM policy language: documents, matching, conditions and the evaluation engine."""

from .conditions import conditions_match, key_matches
from .document import MalformedPolicyDocument, Policy, PolicyKind, Statement, parse_policy
from .evaluate import (
    AuthzRequest,
    Caller,
    Decision,
    Match,
    PolicySet,
    evaluate,
    resource_policy_decision,
)
from .matching import action_matches, glob_match, resource_matches

__all__ = [
    "AuthzRequest",
    "Caller",
    "Decision",
    "MalformedPolicyDocument",
    "Match",
    "Policy",
    "PolicyKind",
    "PolicySet",
    "Statement",
    "action_matches",
    "conditions_match",
    "evaluate",
    "glob_match",
    "key_matches",
    "parse_policy",
    "resource_matches",
    "resource_policy_decision",
]
