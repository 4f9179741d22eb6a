"""CodeCommit's errors, named as AWS names them, and input-shape violations mapped onto them.

Where AWS's own wording of a message is known it is used; otherwise the message is
the sentence CodeCommit's API reference gives for the error, with the value at fault.
"""

from __future__ import annotations

from airlock.core.errors import ClientFault, Problem, ValidationError


class CodeCommitError(ClientFault):
    """Base of CodeCommit's errors: HTTP 400, the code is the exception's name."""

    code = "CodeCommitException"


def _error(code: str, doc: str) -> type[CodeCommitError]:
    return type(code, (CodeCommitError,), {"code": code, "__doc__": doc})


REPOSITORY_NAME_RULES = (
    "The repository name is not valid. Repository names can be any valid combination of "
    "letters, numbers, periods, underscores, and dashes between 1 and 100 characters in "
    "length. Names are case sensitive. For more information, see Limits in the AWS "
    "CodeCommit User Guide. "
)

RepositoryNameExists = _error("RepositoryNameExistsException", "The name is taken.")
RepositoryNameRequired = _error("RepositoryNameRequiredException", "No repository name.")
RepositoryNamesRequired = _error("RepositoryNamesRequiredException", "No repository names.")
InvalidRepositoryName = _error("InvalidRepositoryNameException", "A bad repository name.")
InvalidRepositoryDescription = _error(
    "InvalidRepositoryDescriptionException", "A bad repository description."
)
RepositoryDoesNotExist = _error("RepositoryDoesNotExistException", "No such repository.")
MaximumRepositoryNamesExceeded = _error(
    "MaximumRepositoryNamesExceededException", "Too many repository names."
)
InvalidSortBy = _error("InvalidSortByException", "A bad sortBy.")
InvalidOrder = _error("InvalidOrderException", "A bad order.")
InvalidContinuationToken = _error("InvalidContinuationTokenException", "A bad nextToken.")
InvalidMaxResults = _error("InvalidMaxResultsException", "A bad MaxResults.")
EncryptionKeyInvalidId = _error("EncryptionKeyInvalidIdException", "A bad KMS key id.")

BranchNameRequired = _error("BranchNameRequiredException", "No branch name.")
InvalidBranchName = _error("InvalidBranchNameException", "A bad branch name.")
BranchDoesNotExist = _error("BranchDoesNotExistException", "No such branch.")
BranchNameExists = _error("BranchNameExistsException", "The branch exists.")
BranchNameIsTagName = _error("BranchNameIsTagNameException", "The branch name is a tag's.")
DefaultBranchCannotBeDeleted = _error(
    "DefaultBranchCannotBeDeletedException", "The default branch stays."
)

CommitIdRequired = _error("CommitIdRequiredException", "No commit id.")
InvalidCommitId = _error("InvalidCommitIdException", "A bad commit id.")
CommitDoesNotExist = _error("CommitDoesNotExistException", "No such commit.")
CommitIdDoesNotExist = _error("CommitIdDoesNotExistException", "No commit with that id.")
InvalidCommit = _error("InvalidCommitException", "The specifier names no commit.")
CommitRequired = _error("CommitRequiredException", "No commit specifier.")

PathRequired = _error("PathRequiredException", "No path.")
InvalidPath = _error("InvalidPathException", "A bad path.")
PathDoesNotExist = _error("PathDoesNotExistException", "No such path.")
FileDoesNotExist = _error("FileDoesNotExistException", "No such file.")
FolderDoesNotExist = _error("FolderDoesNotExistException", "No such folder.")
FileTooLarge = _error("FileTooLargeException", "The file is too large to return.")
BlobIdRequired = _error("BlobIdRequiredException", "No blob id.")
InvalidBlobId = _error("InvalidBlobIdException", "A bad blob id.")
BlobIdDoesNotExist = _error("BlobIdDoesNotExistException", "No such blob.")

ParentCommitIdRequired = _error("ParentCommitIdRequiredException", "No parent commit id.")
InvalidParentCommitId = _error("InvalidParentCommitIdException", "A bad parent commit id.")
ParentCommitDoesNotExist = _error("ParentCommitDoesNotExistException", "No such parent.")
ParentCommitIdOutdated = _error("ParentCommitIdOutdatedException", "The branch moved on.")
FileContentRequired = _error("FileContentRequiredException", "No file content.")
FileContentSizeLimitExceeded = _error(
    "FileContentSizeLimitExceededException", "The content is too large."
)
InvalidFileMode = _error("InvalidFileModeException", "A bad file mode.")
FileModeRequired = _error("FileModeRequiredException", "No file mode.")
NameLengthExceeded = _error("NameLengthExceededException", "The author name is too long.")
InvalidEmail = _error("InvalidEmailException", "A bad email address.")
CommitMessageLengthExceeded = _error(
    "CommitMessageLengthExceededException", "The commit message is too long."
)
SameFileContent = _error("SameFileContentException", "Nothing would change.")
NoChange = _error("NoChangeException", "The commit changes nothing.")
FileNameConflictsWithDirectoryName = _error(
    "FileNameConflictsWithDirectoryNameException", "A file where a folder is."
)
DirectoryNameConflictsWithFileName = _error(
    "DirectoryNameConflictsWithFileNameException", "A folder where a file is."
)
FilePathConflictsWithSubmodulePath = _error(
    "FilePathConflictsWithSubmodulePathException", "A path inside a submodule."
)
FileEntryRequired = _error("FileEntryRequiredException", "No file changes.")
MaximumFileEntriesExceeded = _error("MaximumFileEntriesExceededException", "Too many file changes.")
PutFileEntryConflict = _error("PutFileEntryConflictException", "A path is a file and a folder.")
SourceFileOrContentRequired = _error(
    "SourceFileOrContentRequiredException", "Neither content nor source."
)
FileContentAndSourceFileSpecified = _error(
    "FileContentAndSourceFileSpecifiedException", "Both content and source."
)
SamePathRequest = _error("SamePathRequestException", "Two changes of one path.")
RestrictedSourceFile = _error("RestrictedSourceFileException", "A .gitkeep as a source.")

ResourceArnRequired = _error("ResourceArnRequiredException", "No resource ARN.")
InvalidResourceArn = _error("InvalidResourceArnException", "A bad resource ARN.")
TagsMapRequired = _error("TagsMapRequiredException", "No tags.")
InvalidTagsMap = _error("InvalidTagsMapException", "Bad tags.")
TagKeysListRequired = _error("TagKeysListRequiredException", "No tag keys.")
InvalidTagKeysList = _error("InvalidTagKeysListException", "Bad tag keys.")
TooManyTags = _error("TooManyTagsException", "Too many tags.")
InvalidSystemTagUsage = _error("InvalidSystemTagUsageException", "An aws: tag.")


def repository_does_not_exist(name: str) -> CodeCommitError:
    """AWS's `RepositoryDoesNotExistException`: "<name> does not exist"."""
    return RepositoryDoesNotExist(f"{name} does not exist")


def invalid_repository_name() -> CodeCommitError:
    """AWS's `InvalidRepositoryNameException`, which states the naming rules."""
    return InvalidRepositoryName(REPOSITORY_NAME_RULES)


PATH_RULES = (
    "The specified path is not valid. A path is relative to the repository root, uses / "
    "between folders, and has no empty, '.', '..' or '.git' part."
)
CONTENT_LIMIT = (
    "The file cannot be added because it is too large. The maximum file size is 6 MB, and the "
    "combined file content change size is 7 MB. Consider making these changes using a Git "
    "client."
)

_REQUIRED = "required"
_Answer = tuple[type[CodeCommitError], str]
# member -> (the answer when it is missing, the answer when it is not valid)
_MEMBER_ERRORS: dict[str, tuple[_Answer, _Answer]] = {
    "repositoryName": (
        (RepositoryNameRequired, "A repository name is required, but was not specified."),
        (InvalidRepositoryName, REPOSITORY_NAME_RULES),
    ),
    "repositoryNames": (
        (
            RepositoryNamesRequired,
            "At least one repository name object is required, but was not specified.",
        ),
        (InvalidRepositoryName, REPOSITORY_NAME_RULES),
    ),
    "branchName": (
        (BranchNameRequired, "A branch name is required, but was not specified."),
        (InvalidBranchName, "The specified reference name is not valid."),
    ),
    "commitId": (
        (CommitIdRequired, "A commit ID was not specified."),
        (InvalidCommitId, "The specified commit ID is not valid."),
    ),
    "filePath": (
        (PathRequired, "The filePath for a location cannot be null."),
        (InvalidPath, PATH_RULES),
    ),
    "folderPath": (
        (PathRequired, "The folderPath for a location cannot be null."),
        (InvalidPath, PATH_RULES),
    ),
    "fileContent": (
        (
            FileContentRequired,
            "The file is empty. Empty files cannot be added to a repository.",
        ),
        (FileContentSizeLimitExceeded, CONTENT_LIMIT),
    ),
    "blobId": (
        (BlobIdRequired, "A blob ID is required, but was not specified."),
        (InvalidBlobId, "The specified blob is not valid."),
    ),
    "parentCommitId": (
        (
            ParentCommitIdRequired,
            "A parent commit ID is required. To view the full commit ID of a branch in a "
            "repository, use GetBranch or a Git command (for example, git pull or git log).",
        ),
        (InvalidParentCommitId, "The parent commit ID is not valid."),
    ),
    "repositoryDescription": (
        (InvalidRepositoryDescription, "The specified repository description is not valid."),
        (
            InvalidRepositoryDescription,
            "The specified repository description is not valid: it is longer than 1000 characters.",
        ),
    ),
    "resourceArn": (
        (
            ResourceArnRequired,
            "A valid Amazon Resource Name (ARN) for a CodeCommit resource is required.",
        ),
        (InvalidResourceArn, "The value for the resource ARN is not valid."),
    ),
    "tags": (
        (TagsMapRequired, "A map of tags is required."),
        (InvalidTagsMap, "The map of tags is not valid."),
    ),
    "tagKeys": (
        (TagKeysListRequired, "A list of tag keys is required. The list cannot be empty or null."),
        (InvalidTagKeysList, "The list of tags is not valid."),
    ),
    "sortBy": (
        (InvalidSortBy, "The specified sort by value is not valid."),
        (InvalidSortBy, "The specified sort by value is not valid."),
    ),
    "order": (
        (InvalidOrder, "The specified sort order is not valid."),
        (InvalidOrder, "The specified sort order is not valid."),
    ),
    "afterCommitSpecifier": (
        (CommitRequired, "A commit was not specified."),
        (InvalidCommit, "The specified commit is not valid."),
    ),
    "fileMode": (
        (
            FileModeRequired,
            "The commit cannot be created because no file mode has been "
            "specified. A file mode is required to update mode permissions for a file.",
        ),
        (
            InvalidFileMode,
            "The specified file mode permission is not valid. For a list of "
            "valid file mode permissions, see PutFile.",
        ),
    ),
    "kmsKeyId": (
        (EncryptionKeyInvalidId, "The Key Management Service encryption key is not valid."),
        (EncryptionKeyInvalidId, "The Key Management Service encryption key is not valid."),
    ),
}
_ALIASES = {
    "oldName": "repositoryName",
    "newName": "repositoryName",
    "defaultBranchName": "branchName",
    "path": "filePath",
}


def _member(problem: Problem) -> str:
    """The innermost member a problem is about (`putFiles.1.member.filePath` -> filePath)."""
    last = problem.member.split(".")[-1]
    if last == "member" or last.isdigit():  # an item of a list: the list's name
        parts = [p for p in problem.member.split(".") if p != "member" and not p.isdigit()]
        last = parts[-1] if parts else last
    if last in ("key", "value") and ".entry." in problem.member:
        last = problem.member.split(".")[0]
    return _ALIASES.get(last, last)


def validation_error(error: ValidationError) -> ClientFault:
    """An input-shape violation as CodeCommit answers it: its own exception for the member."""
    problem = error.problems[0]
    found = _MEMBER_ERRORS.get(_member(problem))
    if found is None:
        return error
    cls, message = found[0] if problem.kind == _REQUIRED else found[1]
    return cls(message)
