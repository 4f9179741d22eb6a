"""AWS::CodeCommit::Repository: through its provider as the stack's principal, and in a stack."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest

from airlock.core.errors import ServiceError
from airlock.core.resources import ResourceFailed
from tests.cloudformation.helpers import invoked_by, user_allowed
from tests.cloudformation.providers import provision
from tests.cloudformation.test_stacks import settled, template
from tests.support import LiveServer

TYPE = "AWS::CodeCommit::Repository"


def seed_zip() -> bytes:
    """A zip as a SageMaker project's seed code would be: folders, a script, a config."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.md", "# deploy\n")
        archive.writestr("pipelines/__init__.py", "")
        script = zipfile.ZipInfo("build.sh")
        script.external_attr = 0o100755 << 16
        archive.writestr(script, "#!/bin/sh\necho build\n")
        archive.writestr("config/staging.json", json.dumps({"stage": "staging"}))
    return buffer.getvalue()


def upload(server: LiveServer, bucket: str = "seed-code", key: str = "seed.zip") -> str:
    """The seed zip in a versioned bucket; its version id."""
    s3 = server.client("s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    return str(s3.put_object(Bucket=bucket, Key=key, Body=seed_zip())["VersionId"])


def test_repository_with_code_lifecycle(server: LiveServer, account_id: str, region: str) -> None:
    cc = server.client("codecommit")
    version = upload(server)
    # A later version of the key is not the one the template names.
    server.client("s3").put_object(Bucket="seed-code", Key="seed.zip", Body=b"not a zip")
    props: dict[str, Any] = {
        "RepositoryName": "iris-modeldeploy",
        "RepositoryDescription": "deployment code",
        "Tags": [{"Key": "team", "Value": "ml"}],
        "Code": {
            "S3": {"Bucket": "seed-code", "Key": "seed.zip", "ObjectVersion": version},
            "BranchName": "main",
        },
    }
    made = provision(server, account_id, TYPE, props, tags={"project": "iris"})
    meta = cc.get_repository(repositoryName="iris-modeldeploy")["repositoryMetadata"]
    assert made.physical_id == meta["repositoryId"]
    assert made.attributes == {
        "Ref": meta["repositoryId"],
        "Arn": f"arn:aws:codecommit:{region}:{account_id}:iris-modeldeploy",
        "CloneUrlHttp": f"{server.url}/v1/repos/iris-modeldeploy",
        "CloneUrlSsh": "ssh://127.0.0.1/v1/repos/iris-modeldeploy",
        "Name": "iris-modeldeploy",
    }
    assert meta["defaultBranch"] == "main"
    assert cc.list_tags_for_resource(resourceArn=meta["Arn"])["tags"] == {
        "project": "iris",
        "team": "ml",
    }
    # The zip's files are the first commit on the branch, modes kept.
    root = cc.get_folder(repositoryName="iris-modeldeploy", folderPath="")
    assert {f["relativePath"]: f["fileMode"] for f in root["files"]} == {
        "README.md": "NORMAL",
        "build.sh": "EXECUTABLE",
    }
    assert [s["relativePath"] for s in root["subFolders"]] == ["config", "pipelines"]
    staged = cc.get_file(repositoryName="iris-modeldeploy", filePath="config/staging.json")
    assert json.loads(staged["fileContent"]) == {"stage": "staging"}
    commit = cc.get_commit(repositoryName="iris-modeldeploy", commitId=staged["commitId"])
    assert commit["commit"]["parents"] == []
    for operation in ("CreateRepository", "CreateBranch", "GetObject"):
        assert invoked_by(server, account_id, operation)[0] == "cloudformation.amazonaws.com"
    # Configure again (as after a crash): the branch exists, nothing is committed twice.
    made.provider.configure(made.pc, made.physical_id, props, None)
    assert cc.list_branches(repositoryName="iris-modeldeploy")["branches"] == ["main"]

    # An update renames in place; the id stays, Code is not applied again.
    renamed = {**props, "RepositoryName": "iris-deploy", "RepositoryDescription": "renamed"}
    renamed["Tags"] = []
    made.update(renamed)
    assert made.attributes["Ref"] == made.physical_id
    assert made.attributes["Name"] == "iris-deploy"
    meta = cc.get_repository(repositoryName="iris-deploy")["repositoryMetadata"]
    assert (meta["repositoryId"], meta["repositoryDescription"]) == (
        made.physical_id,
        "renamed",
    )
    assert cc.list_tags_for_resource(resourceArn=meta["Arn"])["tags"] == {"project": "iris"}
    assert cc.get_file(repositoryName="iris-deploy", filePath="README.md")["fileContent"] == (
        b"# deploy\n"
    )
    made.delete()
    assert cc.list_repositories()["repositories"] == []
    made.delete()  # already gone: still deleted


def test_code_is_read_as_the_stacks_principal(server: LiveServer, account_id: str) -> None:
    upload(server)
    principal = user_allowed(server, account_id, "no-s3", "codecommit:*")
    props = {
        "RepositoryName": "seeded",
        "Code": {"S3": {"Bucket": "seed-code", "Key": "seed.zip"}},
    }
    with pytest.raises(ServiceError) as caught:
        provision(server, account_id, TYPE, props, principal=principal)
    assert caught.value.code == "AccessDenied"
    assert "s3:GetObject" in caught.value.message
    # The repository was made (the engine deletes it when it rolls the stack back); no branch.
    assert server.client("codecommit").list_branches(repositoryName="seeded")["branches"] == []


def test_code_that_is_not_a_zip_fails(server: LiveServer, account_id: str) -> None:
    server.client("s3").create_bucket(Bucket="junk")
    server.client("s3").put_object(Bucket="junk", Key="code.zip", Body=b"plain text")
    props = {"RepositoryName": "junk", "Code": {"S3": {"Bucket": "junk", "Key": "code.zip"}}}
    with pytest.raises(ResourceFailed) as caught:
        provision(server, account_id, TYPE, props)
    assert str(caught.value) == (
        "The Code object s3://junk/code.zip is not a ZIP file: File is not a zip file."
    )


def test_triggers_are_refused(server: LiveServer, account_id: str) -> None:
    trigger = {
        "Name": "t",
        "DestinationArn": "arn:aws:sns:us-east-1:123456789012:t",
        "Events": ["all"],
    }
    with pytest.raises(ResourceFailed) as caught:
        provision(server, account_id, TYPE, {"RepositoryName": "t", "Triggers": [trigger]})
    assert str(caught.value).startswith("Airlock does not implement CodeCommit repository triggers")
    assert server.client("codecommit").list_repositories()["repositories"] == []
    made = provision(server, account_id, TYPE, {"RepositoryName": "t"})
    with pytest.raises(ResourceFailed):
        made.update({"RepositoryName": "renamed", "Triggers": [trigger]})
    # The refused update renamed nothing.
    names = server.client("codecommit").list_repositories()["repositories"]
    assert [r["repositoryName"] for r in names] == ["t"]


def test_a_taken_name_fails(server: LiveServer, account_id: str) -> None:
    server.client("codecommit").create_repository(repositoryName="taken")
    with pytest.raises(ServiceError) as caught:
        provision(server, account_id, TYPE, {"RepositoryName": "taken"})
    assert (caught.value.code, caught.value.message) == (
        "RepositoryNameExistsException",
        "Repository named taken already exists",
    )


def test_in_a_stack(server: LiveServer, account_id: str) -> None:
    upload(server)
    cfn = server.client("cloudformation")
    body = template(
        {
            "Repo": {
                "Type": TYPE,
                "Properties": {
                    "RepositoryName": {"Fn::Sub": "${AWS::StackName}-code"},
                    "Code": {
                        "S3": {"Bucket": "seed-code", "Key": "seed.zip"},
                        "BranchName": "release",
                    },
                },
            }
        },
        Outputs={
            "Id": {"Value": {"Ref": "Repo"}},
            "Url": {"Value": {"Fn::GetAtt": ["Repo", "CloneUrlHttp"]}},
            "Arn": {"Value": {"Fn::GetAtt": ["Repo", "Arn"]}},
        },
    )
    stack_id = cfn.create_stack(StackName="proj", TemplateBody=body)["StackId"]
    stack = settled(cfn, stack_id)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    cc = server.client("codecommit")
    meta = cc.get_repository(repositoryName="proj-code")["repositoryMetadata"]
    assert outputs == {
        "Id": meta["repositoryId"],
        "Url": meta["cloneUrlHttp"],
        "Arn": meta["Arn"],
    }
    assert meta["defaultBranch"] == "release"
    cfn.delete_stack(StackName="proj")
    assert settled(cfn, stack_id)["StackStatus"] == "DELETE_COMPLETE"
    assert cc.list_repositories()["repositories"] == []
