data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  container_name   = coalesce(var.container_name, var.name)
  family           = "${var.cluster_name}-${var.name}"
  codedeploy       = var.strategy == "CODEDEPLOY"
  ecs_traffic      = contains(["BLUE_GREEN", "LINEAR", "CANARY"], var.strategy)
  traffic_shifting = local.codedeploy || local.ecs_traffic

  # The bootstrap container makes nginx answer 200 on every path of container_port. These overrides
  # are flagged with a docker label so Shipgate drops them when it registers the first real revision
  # (it copies the task definition and replaces only the image).
  default_bootstrap = var.bootstrap_command == null && can(regex("nginx/nginx:", var.bootstrap_image))
  bootstrap_overrides = local.default_bootstrap ? {
    entryPoint = ["/bin/sh", "-c"]
    command    = ["printf 'server { listen ${var.container_port}; location / { default_type text/plain; return 200 bootstrap; } }' > /etc/nginx/conf.d/default.conf && exec nginx -g 'daemon off;'"]
    } : var.bootstrap_command != null ? {
    command = var.bootstrap_command
  } : {}

  bootstrap_labels = length(local.bootstrap_overrides) > 0 ? {
    dockerLabels = { "org.shipgate.bootstrap-overrides" = join(",", sort(keys(local.bootstrap_overrides))) }
  } : {}

  container_definition = merge({
    name      = local.container_name
    image     = var.bootstrap_image
    essential = true
    portMappings = [{
      name          = "http"
      containerPort = var.container_port
      protocol      = "tcp"
    }]
    environment = [for k in sort(keys(var.environment)) : { name = k, value = var.environment[k] }]
    secrets     = [for k in sort(keys(var.secrets)) : { name = k, valueFrom = var.secrets[k] }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this.name
        awslogs-region        = data.aws_region.current.region
        awslogs-stream-prefix = var.name
      }
    }
    stopTimeout = 30
    # Defaults the ECS API fills in anyway: spelling them out avoids a perpetual diff.
    cpu            = 0
    mountPoints    = []
    volumesFrom    = []
    systemControls = []
  }, local.bootstrap_labels, local.bootstrap_overrides)

  service_security_group_ids = concat([aws_security_group.this.id], var.security_group_ids)
}

################################################################################
# Logs and IAM
################################################################################

resource "aws_cloudwatch_log_group" "this" {
  name              = "/ecs/${var.cluster_name}/${var.name}"
  retention_in_days = var.log_retention_days

  tags = var.tags
}

data "aws_iam_policy_document" "tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

# Execution role: what the ECS agent needs to start the task (pull, logs, secrets).
resource "aws_iam_role" "execution" {
  name               = "${local.family}-execution"
  assume_role_policy = data.aws_iam_policy_document.tasks_assume.json

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

data "aws_iam_policy_document" "execution" {
  # First pull of an image through the ECR pull-through cache creates the cached repository.
  statement {
    sid       = "PullThroughCache"
    actions   = ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"]
    resources = ["arn:${data.aws_partition.current.partition}:ecr:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:repository/ecr-public/*"]
  }

  dynamic "statement" {
    for_each = length(var.secrets) > 0 ? [1] : []

    content {
      sid       = "ReadOwnSecrets"
      actions   = ["secretsmanager:GetSecretValue", "ssm:GetParameters"]
      resources = distinct([for v in values(var.secrets) : regex("^(arn:[^:]+:(secretsmanager|ssm):[^:]+:[^:]+:(secret:[^:]+|parameter/.+?))(:.*)?$", v)[0]])
    }
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "start-task"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

# Task role: what the application itself may call.
resource "aws_iam_role" "task" {
  name               = "${local.family}-task"
  assume_role_policy = data.aws_iam_policy_document.tasks_assume.json

  tags = var.tags
}

resource "aws_iam_role_policy" "task" {
  count = var.task_role_policy_json != null ? 1 : 0

  name   = "application"
  role   = aws_iam_role.task.id
  policy = var.task_role_policy_json
}

data "aws_iam_policy_document" "exec" {
  statement {
    actions = [
      "ssmmessages:CreateControlChannel",
      "ssmmessages:CreateDataChannel",
      "ssmmessages:OpenControlChannel",
      "ssmmessages:OpenDataChannel",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "exec" {
  count = var.enable_execute_command ? 1 : 0

  name   = "ecs-exec"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.exec.json
}

################################################################################
# Networking
################################################################################

resource "aws_security_group" "this" {
  name        = local.family
  description = "Tasks of ${var.name} in ${var.cluster_name}"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = local.family })
}

resource "aws_vpc_security_group_ingress_rule" "from_load_balancer" {
  security_group_id            = aws_security_group.this.id
  description                  = "Requests and health checks from the load balancer"
  referenced_security_group_id = var.load_balancer_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
}

resource "aws_vpc_security_group_egress_rule" "all" {
  security_group_id = aws_security_group.this.id
  description       = "Endpoints, databases, broker and (through NAT when enabled) the internet"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "-1"
}

################################################################################
# Bootstrap task definition. Terraform registers it once; Shipgate registers every
# later revision of the same family with the image pinned by digest.
################################################################################

resource "aws_ecs_task_definition" "this" {
  family                   = local.family
  requires_compatibilities = var.requires_compatibilities
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  container_definitions    = jsonencode([local.container_definition])

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  # Keep old revisions registered: the service may be running one Shipgate registered from it.
  skip_destroy = true

  tags = var.tags
}

################################################################################
# Service. Two variants because `lifecycle` cannot be conditional:
#  - `this` (ROLLING): Terraform ignores the task definition Shipgate deploys and
#    the count autoscaling sets;
#  - `traffic_shifting` (BLUE_GREEN, LINEAR, CANARY, CODEDEPLOY): it also ignores
#    `load_balancer`, which ECS or CodeDeploy swap between the two target groups.
################################################################################

resource "aws_ecs_service" "this" {
  count = local.traffic_shifting ? 0 : 1

  name                              = var.name
  cluster                           = var.cluster_arn
  task_definition                   = aws_ecs_task_definition.this.arn
  desired_count                     = var.desired_count
  health_check_grace_period_seconds = var.health_check_grace_period_seconds
  enable_execute_command            = var.enable_execute_command
  enable_ecs_managed_tags           = true
  propagate_tags                    = "SERVICE"
  availability_zone_rebalancing     = "ENABLED"

  dynamic "capacity_provider_strategy" {
    for_each = var.capacity_provider_strategy

    content {
      capacity_provider = capacity_provider_strategy.value.capacity_provider
      weight            = capacity_provider_strategy.value.weight
      base              = capacity_provider_strategy.value.base
    }
  }

  deployment_controller {
    type = "ECS"
  }

  deployment_configuration {
    strategy = "ROLLING"
  }

  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  dynamic "alarms" {
    for_each = length(var.alarm_names) > 0 ? [1] : []

    content {
      enable      = true
      rollback    = true
      alarm_names = var.alarm_names
    }
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.this["blue"].arn
    container_name   = local.container_name
    container_port   = var.container_port
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = local.service_security_group_ids
    assign_public_ip = false
  }

  tags = var.tags

  # One owner per setting (docs/architecture.md, "Who owns each ECS service setting"): Terraform creates the
  # service with these values; afterwards Shipgate sets the task definition and the whole deployment
  # configuration with every rollout, and Application Auto Scaling owns the count.
  lifecycle {
    ignore_changes = [
      task_definition, desired_count, deployment_configuration, deployment_circuit_breaker, alarms,
      deployment_maximum_percent, deployment_minimum_healthy_percent,
    ]
  }

  depends_on = [aws_iam_role_policy.execution, aws_lb_listener_rule.this]
}

resource "aws_ecs_service" "traffic_shifting" {
  count = local.traffic_shifting ? 1 : 0

  name                              = var.name
  cluster                           = var.cluster_arn
  task_definition                   = aws_ecs_task_definition.this.arn
  desired_count                     = var.desired_count
  health_check_grace_period_seconds = var.health_check_grace_period_seconds
  enable_execute_command            = var.enable_execute_command
  enable_ecs_managed_tags           = true
  propagate_tags                    = "SERVICE"

  dynamic "capacity_provider_strategy" {
    for_each = var.capacity_provider_strategy

    content {
      capacity_provider = capacity_provider_strategy.value.capacity_provider
      weight            = capacity_provider_strategy.value.weight
      base              = capacity_provider_strategy.value.base
    }
  }

  deployment_controller {
    type = local.codedeploy ? "CODE_DEPLOY" : "ECS"
  }

  dynamic "deployment_configuration" {
    for_each = local.ecs_traffic ? [var.strategy] : []

    content {
      strategy             = deployment_configuration.value
      bake_time_in_minutes = var.bake_time_in_minutes

      dynamic "canary_configuration" {
        for_each = deployment_configuration.value == "CANARY" ? [1] : []

        content {
          canary_percent              = var.canary_percent
          canary_bake_time_in_minutes = var.canary_bake_time_in_minutes
        }
      }

      dynamic "linear_configuration" {
        for_each = deployment_configuration.value == "LINEAR" ? [1] : []

        content {
          step_percent              = var.linear_step_percent
          step_bake_time_in_minutes = var.linear_step_bake_time_in_minutes
        }
      }

      # No lifecycle_hook here: hooks are per deployment and belong to Shipgate, which sends the contract's
      # hooks (below, `lifecycle_hooks` output), its smoke check and any pause with every UpdateService.
      # The provider's lifecycle_hook also needs a target and a role, so it cannot even declare a PAUSE hook.
    }
  }

  # ECS supports both failure-detection methods, the circuit breaker and the
  # alarms, for the ECS controller's rolling and blue/green family alike (AWS ECS
  # developer guide, "deployment failure detection"). These are the values the
  # service is created with; Shipgate sets the same with every UpdateService (the
  # alarms from the contract), and Terraform ignores later changes.
  # CodeDeploy rolls back through its deployment group (see the codedeploy module).
  dynamic "deployment_circuit_breaker" {
    for_each = local.ecs_traffic ? [1] : []

    content {
      enable   = true
      rollback = true
    }
  }

  dynamic "alarms" {
    for_each = local.ecs_traffic && length(var.alarm_names) > 0 ? [1] : []

    content {
      enable      = true
      rollback    = true
      alarm_names = var.alarm_names
    }
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.this["blue"].arn
    container_name   = local.container_name
    container_port   = var.container_port

    # "The advanced settings for a load balancer used in blue/green deployments: the alternate target group,
    # listener rules, and IAM role required for traffic shifting" (ECS API reference, AdvancedConfiguration);
    # LINEAR and CANARY shift traffic with the same resources.
    dynamic "advanced_configuration" {
      for_each = local.ecs_traffic ? [1] : []

      content {
        alternate_target_group_arn = aws_lb_target_group.this["green"].arn
        production_listener_rule   = aws_lb_listener_rule.this["production"].arn
        test_listener_rule         = aws_lb_listener_rule.this["test"].arn
        role_arn                   = aws_iam_role.infrastructure[0].arn
      }
    }
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = local.service_security_group_ids
    assign_public_ip = false
  }

  tags = var.tags

  # As above; and ECS (or CodeDeploy) swaps `load_balancer` between the two target groups.
  lifecycle {
    ignore_changes = [
      task_definition, desired_count, deployment_configuration, deployment_circuit_breaker, alarms,
      deployment_maximum_percent, deployment_minimum_healthy_percent, load_balancer,
    ]
  }

  # ECS refuses a target group that no listener routes to: the rules (or, for CodeDeploy, the
  # service's own listeners, known through var.listener) come first.
  depends_on = [aws_iam_role_policy.execution, aws_iam_role_policy_attachment.infrastructure, aws_iam_role_policy.hooks, aws_lb_listener_rule.this, terraform_data.listener]
}

# The listeners the service's traffic arrives on, as a node the services can depend on.
resource "terraform_data" "listener" {
  input = var.listener
}

locals {
  service_name = local.traffic_shifting ? aws_ecs_service.traffic_shifting[0].name : aws_ecs_service.this[0].name
}

################################################################################
# Autoscaling: owns the task count.
################################################################################

resource "aws_appautoscaling_target" "this" {
  service_namespace  = "ecs"
  resource_id        = "service/${var.cluster_name}/${local.service_name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.autoscaling.min_capacity
  max_capacity       = var.autoscaling.max_capacity

  tags = var.tags
}

resource "aws_appautoscaling_policy" "cpu" {
  name               = "${local.family}-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  resource_id        = aws_appautoscaling_target.this.resource_id
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.autoscaling.cpu_target
    scale_in_cooldown  = var.autoscaling.scale_in_cooldown
    scale_out_cooldown = var.autoscaling.scale_out_cooldown

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

resource "aws_appautoscaling_policy" "memory" {
  name               = "${local.family}-memory"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  resource_id        = aws_appautoscaling_target.this.resource_id
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.autoscaling.memory_target
    scale_in_cooldown  = var.autoscaling.scale_in_cooldown
    scale_out_cooldown = var.autoscaling.scale_out_cooldown

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageMemoryUtilization"
    }
  }
}
