"""CodePipeline's errors, named as CodePipeline answers them (HTTP 400 unless said otherwise)."""

from __future__ import annotations

from airlock.core.errors import ClientFault


class PipelineNotFound(ClientFault):
    """`PipelineNotFoundException`."""

    code = "PipelineNotFoundException"


class PipelineNameInUse(ClientFault):
    """`PipelineNameInUseException`."""

    code = "PipelineNameInUseException"


class PipelineVersionNotFound(ClientFault):
    """`PipelineVersionNotFoundException`."""

    code = "PipelineVersionNotFoundException"


class PipelineExecutionNotFound(ClientFault):
    """`PipelineExecutionNotFoundException`."""

    code = "PipelineExecutionNotFoundException"


class PipelineExecutionNotStoppable(ClientFault):
    """`PipelineExecutionNotStoppableException`."""

    code = "PipelineExecutionNotStoppableException"


class DuplicatedStopRequest(ClientFault):
    """`DuplicatedStopRequestException`."""

    code = "DuplicatedStopRequestException"


class StageNotFound(ClientFault):
    """`StageNotFoundException`."""

    code = "StageNotFoundException"


class ActionNotFound(ClientFault):
    """`ActionNotFoundException`."""

    code = "ActionNotFoundException"


class StageNotRetryable(ClientFault):
    """`StageNotRetryableException`."""

    code = "StageNotRetryableException"


class NotLatestPipelineExecution(ClientFault):
    """`NotLatestPipelineExecutionException`."""

    code = "NotLatestPipelineExecutionException"


class Conflict(ClientFault):
    """`ConflictException`."""

    code = "ConflictException"


class InvalidApprovalToken(ClientFault):
    """`InvalidApprovalTokenException`."""

    code = "InvalidApprovalTokenException"


class ApprovalAlreadyCompleted(ClientFault):
    """`ApprovalAlreadyCompletedException`."""

    code = "ApprovalAlreadyCompletedException"


class InvalidStructure(ClientFault):
    """`InvalidStructureException`: the pipeline's stages, artifacts or roles do not fit."""

    code = "InvalidStructureException"


class InvalidActionDeclaration(ClientFault):
    """`InvalidActionDeclarationException`: an action's type or configuration is wrong."""

    code = "InvalidActionDeclarationException"


class InvalidStageDeclaration(ClientFault):
    """`InvalidStageDeclarationException`."""

    code = "InvalidStageDeclarationException"


class ResourceNotFound(ClientFault):
    """`ResourceNotFoundException` (tagging a pipeline that does not exist)."""

    code = "ResourceNotFoundException"


class InvalidArn(ClientFault):
    """`InvalidArnException`."""

    code = "InvalidArnException"


class InvalidNextToken(ClientFault):
    """`InvalidNextTokenException`."""

    code = "InvalidNextTokenException"


class CodePipelineValidation(ClientFault):
    """`ValidationException` for inputs well-formed in shape but not usable."""

    code = "ValidationException"
