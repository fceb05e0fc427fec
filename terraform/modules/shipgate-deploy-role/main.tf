# What Shipgate may do in an environment that lives in its own AWS account (shipgate.config.yaml
# `environments[].aws`): the deploy role Shipgate's functions assume (trusting only them, with the external
# id), the role ECS invokes Shipgate's verify hook with, and the rule forwarding this account's deployment
# events to Shipgate's event bus. Apply it in the environment's account after Shipgate's stack (it takes the
# stack's outputs), see README "One AWS account per environment".

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition = data.aws_partition.current.partition
  # ARN prefix of this account's resources of one service, e.g. arn:aws:ecs:eu-west-1:222222222222
  arn = { for service in ["ecs", "ssm", "cloudwatch", "codedeploy"] : service =>
    "arn:${local.partition}:${service}:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}"
  }

  # The events Shipgate's rules match (lib/constructs/rollout-event-rules.ts ROLLOUT_EVENT_PATTERNS; a test
  # checks they agree): nothing else is forwarded, and Shipgate's bus policy admits nothing else.
  forwarded_events = [
    { source = "aws.ecs", detail_type = "ECS Deployment State Change" },
    { source = "aws.ecs", detail_type = "ECS Hook State Change" },
    { source = "aws.codedeploy", detail_type = "CodeDeploy Deployment State-change Notification" },
  ]
}

# --- The deploy role -------------------------------------------------------------------------------------

data "aws_iam_policy_document" "trust" {
  statement {
    sid     = "ShipgateFunctions"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "AWS"
      identifiers = var.shipgate_role_arns
    }

    condition {
      test     = "StringEquals"
      variable = "sts:ExternalId"
      values   = [var.external_id]
    }
  }

  # Operators who run `shipgate contract` and `shipgate doctor` for this environment, if any.
  dynamic "statement" {
    for_each = length(var.operator_principal_arns) > 0 ? [1] : []
    content {
      sid     = "ShipgateOperators"
      actions = ["sts:AssumeRole"]

      principals {
        type        = "AWS"
        identifiers = var.operator_principal_arns
      }

      condition {
        test     = "StringEquals"
        variable = "sts:ExternalId"
        values   = [var.external_id]
      }
    }
  }
}

resource "aws_iam_role" "this" {
  name                 = var.name
  path                 = var.path
  description          = "Assumed by Shipgate to roll out, watch and roll back ${var.environment} (ECS, SSM contracts, alarms, CodeDeploy)"
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  max_session_duration = 3600

  tags = var.tags
}

# The calls Shipgate makes for this environment, scoped as its own stack scopes them in a single account
# (lib/shipgate-stack.ts): clusters, services and CodeDeploy groups are named by the deploy contracts at run
# time, so they are scoped by resource type in this account and region.
data "aws_iam_policy_document" "this" {
  statement {
    sid = "TaskDefinitions"
    # These ECS actions support no resource-level permissions.
    actions   = ["ecs:RegisterTaskDefinition", "ecs:DescribeTaskDefinition"]
    resources = ["*"]
  }

  statement {
    sid       = "TagTaskDefinitions"
    actions   = ["ecs:TagResource"]
    resources = ["${local.arn.ecs}:task-definition/*"]

    condition {
      test     = "StringEquals"
      variable = "ecs:CreateAction"
      values   = ["RegisterTaskDefinition"]
    }
  }

  statement {
    sid       = "Services"
    actions   = ["ecs:UpdateService", "ecs:DescribeServices", "ecs:ListServiceDeployments"]
    resources = ["${local.arn.ecs}:service/*"]
  }

  statement {
    sid = "ServiceDeployments"
    # Stop (roll back), and continue or roll back at a PAUSE hook.
    actions   = ["ecs:DescribeServiceDeployments", "ecs:StopServiceDeployment", "ecs:ContinueServiceDeployment"]
    resources = ["${local.arn.ecs}:service-deployment/*"]
  }

  dynamic "statement" {
    for_each = length(var.task_role_arns) > 0 ? [1] : []

    content {
      sid       = "PassTaskRoles"
      actions   = ["iam:PassRole"]
      resources = var.task_role_arns

      condition {
        test     = "StringEquals"
        variable = "iam:PassedToService"
        values   = ["ecs-tasks.amazonaws.com"]
      }
    }
  }

  statement {
    sid       = "PassEcsRoles"
    actions   = ["iam:PassRole"]
    resources = distinct(concat([aws_iam_role.ecs_hooks.arn], var.ecs_role_arns))

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs.amazonaws.com"]
    }
  }

  statement {
    sid       = "ReadDeployContracts"
    actions   = ["ssm:GetParameter", "ssm:GetParameters"]
    resources = ["${local.arn.ssm}:parameter${var.contracts_prefix}/${var.environment}/*"]
  }

  statement {
    sid       = "ReadAlarmStates"
    actions   = ["cloudwatch:DescribeAlarms"]
    resources = ["${local.arn.cloudwatch}:alarm:*"]
  }

  statement {
    sid       = "CodeDeployDeployments"
    actions   = ["codedeploy:CreateDeployment", "codedeploy:GetDeployment", "codedeploy:StopDeployment", "codedeploy:GetDeploymentGroup"]
    resources = ["${local.arn.codedeploy}:deploymentgroup:*"]
  }

  statement {
    sid       = "CodeDeployConfigs"
    actions   = ["codedeploy:GetDeploymentConfig"]
    resources = ["${local.arn.codedeploy}:deploymentconfig:*"]
  }

  statement {
    sid       = "CodeDeployRevisions"
    actions   = ["codedeploy:RegisterApplicationRevision", "codedeploy:GetApplicationRevision"]
    resources = ["${local.arn.codedeploy}:application:*"]
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "shipgate-deploy"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}

# What `shipgate contract init --write` needs beyond the functions' grants: the service's load balancer
# (read only) and writing its deploy contract. Only while operators are named: the functions share the role,
# so empty `operator_principal_arns` once the environment is onboarded and the grant is gone again.
data "aws_iam_policy_document" "operators" {
  statement {
    sid = "ReadLoadBalancers"
    actions = [
      "elasticloadbalancing:DescribeListeners",
      "elasticloadbalancing:DescribeLoadBalancers",
      "elasticloadbalancing:DescribeRules",
      "elasticloadbalancing:DescribeTargetGroups",
    ]
    # The Describe actions have no resource-level permissions.
    resources = ["*"]
  }

  statement {
    sid       = "WriteDeployContracts"
    actions   = ["ssm:PutParameter"]
    resources = ["${local.arn.ssm}:parameter${var.contracts_prefix}/${var.environment}/services/*"]
  }
}

resource "aws_iam_role_policy" "operators" {
  count = length(var.operator_principal_arns) > 0 ? 1 : 0

  name   = "shipgate-operators"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.operators.json
}

# --- The role ECS invokes Shipgate's verify hook with ----------------------------------------------------
# UpdateService passes a role of this account (iam:PassRole cannot pass another account's), so the role is
# here; Shipgate's hook function admits this account in its resource policy, and this role may invoke that
# one function and nothing else.

data "aws_iam_policy_document" "ecs_hooks_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "ecs_hooks" {
  name               = "${var.name}-ecs-hooks"
  path               = var.path
  description        = "Assumed by ECS to invoke Shipgate's ${var.environment} verify hook (POST_TEST_TRAFFIC_SHIFT)"
  assume_role_policy = data.aws_iam_policy_document.ecs_hooks_trust.json

  tags = var.tags
}

data "aws_iam_policy_document" "ecs_hooks" {
  statement {
    sid       = "InvokeShipgateVerifyHook"
    actions   = ["lambda:InvokeFunction"]
    resources = [var.verify_hook_function_arn, "${var.verify_hook_function_arn}:*"]
  }
}

resource "aws_iam_role_policy" "ecs_hooks" {
  name   = "invoke-shipgate-verify-hook"
  role   = aws_iam_role.ecs_hooks.id
  policy = data.aws_iam_policy_document.ecs_hooks.json
}

# --- Deployment events to Shipgate's bus -----------------------------------------------------------------
# "Sending and receiving events between AWS accounts in EventBridge": a rule here whose target is the other
# account's bus, with a role EventBridge assumes to put the events there; Shipgate's bus policy admits this
# account for these sources and detail types.

resource "aws_cloudwatch_event_rule" "forward" {
  name        = "${var.name}-forward"
  description = "ECS and CodeDeploy deployment events of ${var.environment}, forwarded to Shipgate's event bus"
  event_pattern = jsonencode({
    source        = distinct([for e in local.forwarded_events : e.source])
    "detail-type" = [for e in local.forwarded_events : e.detail_type]
  })

  tags = var.tags
}

data "aws_iam_policy_document" "events_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "events" {
  name               = "${var.name}-events"
  path               = var.path
  description        = "Assumed by EventBridge to forward ${var.environment}'s deployment events to Shipgate's bus"
  assume_role_policy = data.aws_iam_policy_document.events_trust.json

  tags = var.tags
}

data "aws_iam_policy_document" "events" {
  statement {
    sid       = "PutEventsOnShipgateBus"
    actions   = ["events:PutEvents"]
    resources = [var.shipgate_event_bus_arn]
  }
}

resource "aws_iam_role_policy" "events" {
  name   = "put-events-on-shipgate-bus"
  role   = aws_iam_role.events.id
  policy = data.aws_iam_policy_document.events.json
}

resource "aws_cloudwatch_event_target" "forward" {
  rule      = aws_cloudwatch_event_rule.forward.name
  target_id = "shipgate"
  arn       = var.shipgate_event_bus_arn
  role_arn  = aws_iam_role.events.arn

  # An event EventBridge cannot put on Shipgate's bus (the bus policy, a throttle) is retried for a day, then
  # kept here instead of dropped, and the alarm below says so: a lost ECS event is a rollout Shipgate does
  # not see end (the reconciler repairs it later, this says why).
  retry_policy {
    maximum_event_age_in_seconds = 86400
    maximum_retry_attempts       = 185
  }

  dead_letter_config {
    arn = aws_sqs_queue.forward_failed.arn
  }
}

resource "aws_sqs_queue" "forward_failed" {
  name                      = "${var.name}-forward-failed"
  message_retention_seconds = 1209600 # 14 days, SQS's longest
  sqs_managed_sse_enabled   = true

  tags = var.tags
}

# EventBridge may send the rule's undeliverable events here, and nothing else may
# ("Granting permissions to the dead-letter queue", EventBridge user guide).
data "aws_iam_policy_document" "forward_failed" {
  statement {
    sid       = "EventBridgeDeadLetters"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.forward_failed.arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.forward.arn]
    }
  }
}

resource "aws_sqs_queue_policy" "forward_failed" {
  queue_url = aws_sqs_queue.forward_failed.id
  policy    = data.aws_iam_policy_document.forward_failed.json
}

resource "aws_cloudwatch_metric_alarm" "forward_failed" {
  alarm_name          = "${var.name}-forward-failed"
  alarm_description   = "ECS or CodeDeploy events of ${var.environment} could not be forwarded to Shipgate's bus: they are in ${aws_sqs_queue.forward_failed.name}. Check Shipgate's bus policy (stack output EventBusArn), then send them again with PutEvents."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.forward_failed.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions

  tags = var.tags
}
