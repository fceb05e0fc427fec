locals {
  issuer_host  = trimprefix(var.gitlab_url, "https://")
  audience     = coalesce(var.audience, var.gitlab_url)
  provider_arn = var.create_provider ? aws_iam_openid_connect_provider.this[0].arn : var.provider_arn

  subjects = {
    for name, role in var.roles : name => [
      for s in role.subjects : "project_path:${s.project_path}:ref_type:${s.ref_type}:ref:${s.ref}"
    ]
  }

  managed_policy_attachments = merge([
    for name, role in var.roles : { for arn in role.managed_policy_arns : "${name}/${arn}" => { role = name, arn = arn } }
  ]...)
}

resource "aws_iam_openid_connect_provider" "this" {
  count = var.create_provider ? 1 : 0

  url            = var.gitlab_url
  client_id_list = [local.audience]

  tags = var.tags
}

# Trust: a job's ID token from this GitLab, for this audience, from exactly one of
# the listed projects on its protected ref. StringEquals (never StringLike) so a
# `*` can never widen it.
data "aws_iam_policy_document" "assume" {
  for_each = var.roles

  statement {
    sid     = "GitLabCIJobs"
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.issuer_host}:aud"
      values   = [local.audience]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.issuer_host}:sub"
      values   = local.subjects[each.key]
    }
  }
}

resource "aws_iam_role" "this" {
  for_each = var.roles

  name                 = each.key
  description          = each.value.description
  assume_role_policy   = data.aws_iam_policy_document.assume[each.key].json
  max_session_duration = each.value.max_session_duration

  tags = var.tags

  lifecycle {
    precondition {
      condition     = local.provider_arn != null
      error_message = "Set provider_arn when create_provider is false."
    }
  }
}

resource "aws_iam_role_policy" "this" {
  for_each = { for name, role in var.roles : name => role if role.policy_json != null }

  name   = "gitlab-ci"
  role   = aws_iam_role.this[each.key].id
  policy = each.value.policy_json
}

resource "aws_iam_role_policy_attachment" "this" {
  for_each = local.managed_policy_attachments

  role       = aws_iam_role.this[each.value.role].name
  policy_arn = each.value.arn
}
