# Trust is pinned to exact projects and refs (mocked AWS, no account).

mock_provider "aws" {
  mock_resource "aws_iam_openid_connect_provider" {
    defaults = {
      arn = "arn:aws:iam::123456789012:oidc-provider/gitlab.example.com"
    }
  }
  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/gitlab-ci-test"
    }
  }
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

variables {
  gitlab_url = "https://gitlab.example.com"
  roles = {
    "gitlab-ci-ecr-push-api-gateway" = {
      description = "push"
      subjects    = [{ project_path = "root/api-gateway" }]
    }
    "gitlab-ci-terraform" = {
      description = "terraform"
      subjects    = [{ project_path = "root/cloud-design-infra", ref = "main" }]
    }
  }
}

run "exact_subjects" {
  command = apply

  assert {
    condition     = output.subjects["gitlab-ci-ecr-push-api-gateway"] == ["project_path:root/api-gateway:ref_type:branch:ref:main"]
    error_message = "The push role must trust root/api-gateway on main only."
  }

  assert {
    condition     = output.subjects["gitlab-ci-terraform"] == ["project_path:root/cloud-design-infra:ref_type:branch:ref:main"]
    error_message = "The Terraform role must trust the infra project on main only."
  }

  assert {
    condition     = output.audience == "https://gitlab.example.com"
    error_message = "The audience defaults to the GitLab URL."
  }

  assert {
    condition     = aws_iam_openid_connect_provider.this[0].client_id_list == toset(["https://gitlab.example.com"])
    error_message = "The OIDC provider must accept exactly the audience."
  }
}

run "wildcard_project_refused" {
  command = plan

  variables {
    roles = {
      "gitlab-ci-any" = { description = "any", subjects = [{ project_path = "root/*" }] }
    }
  }

  expect_failures = [var.roles]
}

run "wildcard_ref_refused" {
  command = plan

  variables {
    roles = {
      "gitlab-ci-any" = { description = "any", subjects = [{ project_path = "root/api-gateway", ref = "*" }] }
    }
  }

  expect_failures = [var.roles]
}

run "plain_http_issuer_refused" {
  command = plan

  variables {
    gitlab_url = "http://192.168.56.11"
  }

  expect_failures = [var.gitlab_url]
}
