locals {
  name = "${var.prefix}/${var.environment}/services/${var.service}"

  # The document Shipgate validates with `deployContractSchema` (lambdas/shared/contract.ts).
  # Keep the keys in step with that schema: test/unit/terraform checks they are identical.
  contract = {
    version       = 1
    cluster       = var.cluster
    service       = var.ecs_service
    containerName = var.container_name
    containerPort = var.container_port
    strategy      = var.strategy
    # `deploymentConfig` is optional in the schema (absent, never null), hence the filter.
    codeDeploy = var.code_deploy == null ? null : {
      for k, v in {
        application      = var.code_deploy.application
        deploymentGroup  = var.code_deploy.deployment_group
        deploymentConfig = var.code_deploy.deployment_config
      } : k => v if v != null
    }
    # BLUE_GREEN, LINEAR and CANARY: what ECS shifts traffic with; null for every other strategy.
    blueGreen = var.blue_green == null ? null : {
      alternateTargetGroupArn   = var.blue_green.alternate_target_group_arn
      productionListenerRuleArn = var.blue_green.production_listener_rule_arn
      testListenerRuleArn       = var.blue_green.test_listener_rule_arn
      infrastructureRoleArn     = var.blue_green.infrastructure_role_arn
      testUrl                   = var.blue_green.test_url
    }
    lifecycleHooks = [for h in var.lifecycle_hooks : {
      hookTargetArn   = h.hook_target_arn
      roleArn         = h.role_arn
      lifecycleStages = h.lifecycle_stages
    }]
    smokeUrl   = var.smoke_url
    smokePath  = var.smoke_path
    alarms     = var.alarms
    repository = var.repository
  }
}

resource "aws_ssm_parameter" "this" {
  name        = local.name
  description = "Shipgate deploy contract of ${var.service} in ${var.environment} (written by Terraform; read by Shipgate)"
  type        = "String"
  tier        = "Standard"
  # Not a secret: `insecure_value` keeps the document visible in plans, so reviewers see contract changes.
  insecure_value = jsonencode(local.contract)

  tags = merge(var.tags, { Service = var.service, Environment = var.environment })

  lifecycle {
    precondition {
      condition     = (var.strategy == "CODEDEPLOY") == (var.code_deploy != null)
      error_message = "code_deploy must be set exactly when strategy is CODEDEPLOY (strategy is ${var.strategy})."
    }

    precondition {
      condition     = contains(["BLUE_GREEN", "LINEAR", "CANARY"], var.strategy) == (var.blue_green != null)
      error_message = "blue_green must be set exactly when strategy is BLUE_GREEN, LINEAR or CANARY (strategy is ${var.strategy})."
    }

    precondition {
      condition     = length(var.lifecycle_hooks) == 0 || var.blue_green != null
      error_message = "Only BLUE_GREEN, LINEAR and CANARY deployments run lifecycle hooks (strategy is ${var.strategy})."
    }
  }
}
