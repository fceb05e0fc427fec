################################################################################
# What the service's rollouts shift traffic with: its target groups, its rules on
# the load balancer's production and test listeners, the infrastructure role ECS
# moves the rules' weights with, and the role ECS invokes lifecycle hooks with.
################################################################################

locals {
  target_group_prefix = substr(local.family, 0, 29)
  path_patterns       = var.path_prefix == null ? ["/*"] : [var.path_prefix, "${var.path_prefix}/*"]
  url_path            = local.codedeploy || var.path_prefix == null ? "" : var.path_prefix
  hooks               = local.ecs_traffic ? var.lifecycle_hooks : []
  # Target group key => name suffix.
  target_groups = local.traffic_shifting ? { blue = "1", green = "2" } : { blue = "1" }
  # Listener rule key => listener ARN.
  listener_rules = merge(
    local.codedeploy ? {} : { production = var.listener.production_arn },
    local.ecs_traffic ? { test = var.listener.test_arn } : {},
  )
}

# Target groups: tuned for fast, safe rollouts. A new task is healthy after two
# checks 10 s apart (~20 s); a draining task is gone after at most 30 s. `blue`
# (name suffix -1) serves every strategy; `green` (-2) is the alternate one the
# blue/green family and CodeDeploy move the new revision into.
resource "aws_lb_target_group" "this" {
  for_each = local.target_groups

  name                 = "${local.target_group_prefix}-${each.value}"
  vpc_id               = var.vpc_id
  target_type          = "ip"
  protocol             = "HTTP"
  port                 = var.container_port
  deregistration_delay = var.deregistration_delay

  health_check {
    enabled             = true
    path                = var.health_check_path
    protocol            = "HTTP"
    port                = "traffic-port"
    matcher             = "200-299"
    interval            = 10
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }

  tags = merge(var.tags, { Name = "${local.family}-${each.value}", Service = var.name })
}

# Listener rules, one per listener the service is reached on: `production` on
# the production listener (a CodeDeploy service has listeners of its own, alb
# module, and no rule), `test` on the test listener for ECS's blue/green, linear
# and canary. Both forward to blue (weight 100) and green (weight 0); ECS moves
# the weights during a rollout, so Terraform must not put them back: `action` is
# ignored after creation.
resource "aws_lb_listener_rule" "this" {
  for_each = local.listener_rules

  listener_arn = each.value
  priority     = var.priority

  action {
    type = "forward"

    forward {
      dynamic "target_group" {
        for_each = aws_lb_target_group.this

        content {
          arn    = target_group.value.arn
          weight = target_group.key == "blue" ? 100 : 0
        }
      }
    }
  }

  condition {
    path_pattern {
      values = local.path_patterns
    }
  }

  dynamic "transform" {
    for_each = var.path_prefix == null ? [] : [var.path_prefix]

    content {
      type = "url-rewrite"

      url_rewrite_config {
        rewrite {
          regex   = "^${transform.value}/?(.*)$"
          replace = "/$1"
        }
      }
    }
  }

  tags = merge(var.tags, { Service = var.name })

  lifecycle {
    ignore_changes = [action]

    precondition {
      condition     = each.key != "test" || (var.listener.test_arn != null && var.listener.test_url != null)
      error_message = "Strategy ${var.strategy} needs the load balancer's test listener (listener.test_arn and listener.test_url; alb module `test_listener = true`)."
    }
  }
}

# Addresses before the two pairs became one resource each: state moves, nothing is replaced.
moved {
  from = aws_lb_target_group.blue
  to   = aws_lb_target_group.this["blue"]
}

moved {
  from = aws_lb_target_group.green[0]
  to   = aws_lb_target_group.this["green"]
}

moved {
  from = aws_lb_listener_rule.production[0]
  to   = aws_lb_listener_rule.this["production"]
}

moved {
  from = aws_lb_listener_rule.test[0]
  to   = aws_lb_listener_rule.this["test"]
}

# Infrastructure role: lets ECS move the listener rules' weights during native
# blue/green, linear and canary rollouts. Trust and managed policy as the ECS
# developer guide gives them ("Amazon ECS infrastructure IAM role for load balancers").
data "aws_iam_policy_document" "ecs_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "infrastructure" {
  count = local.ecs_traffic ? 1 : 0

  name               = "${local.family}-ecs-infrastructure"
  assume_role_policy = data.aws_iam_policy_document.ecs_assume.json

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "infrastructure" {
  count = local.ecs_traffic ? 1 : 0

  role       = aws_iam_role.infrastructure[0].name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"
}

# Lifecycle hooks: "the IAM role that grants Amazon ECS permission to call Lambda
# functions on your behalf" (ECS API reference, DeploymentLifecycleHook.roleArn).
# One role per service, allowed to invoke exactly its hook functions.
data "aws_iam_policy_document" "hooks" {
  count = length(local.hooks) > 0 ? 1 : 0

  statement {
    sid       = "InvokeLifecycleHooks"
    actions   = ["lambda:InvokeFunction"]
    resources = distinct([for h in local.hooks : h.hook_target_arn])
  }
}

resource "aws_iam_role" "hooks" {
  count = length(local.hooks) > 0 ? 1 : 0

  name               = "${local.family}-ecs-hooks"
  assume_role_policy = data.aws_iam_policy_document.ecs_assume.json

  tags = var.tags
}

resource "aws_iam_role_policy" "hooks" {
  count = length(local.hooks) > 0 ? 1 : 0

  name   = "invoke-lifecycle-hooks"
  role   = aws_iam_role.hooks[0].id
  policy = data.aws_iam_policy_document.hooks[0].json
}
