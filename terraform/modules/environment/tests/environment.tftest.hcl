# Plans and "applies" a whole environment against mocked providers (no AWS
# account needed) and checks the deploy contracts Shipgate will read. Written once,
# run once per environment with that environment's own variables:
#   terraform init -backend=false
#   terraform test -var-file=../../environments/staging/terraform.tfvars
#   terraform test -var-file=../../environments/production/terraform.tfvars
# (the infra pipeline's validate job does exactly this for every environment).

mock_provider "aws" {
  source = "./tests"
}

mock_provider "random" {}

run "contracts" {
  command = apply

  assert {
    condition     = length(module.contract) == 3
    error_message = "Expected one contract per service."
  }

  assert {
    condition = alltrue([for k, c in module.contract :
      join(",", sort(keys(jsondecode(c.json)))) == "alarms,blueGreen,cluster,codeDeploy,containerName,containerPort,lifecycleHooks,repository,service,smokePath,smokeUrl,strategy,version"
    ])
    error_message = "Contract keys differ from deployContractSchema (lambdas/shared/contract.ts)."
  }

  assert {
    condition     = alltrue([for k, c in module.contract : c.name == "/shipgate/${var.environment.name}/services/${k}"])
    error_message = "Contracts must live at /shipgate/<environment>/services/<service>."
  }

  assert {
    condition = alltrue([for k, c in module.contract :
      jsondecode(c.json).version == 1 &&
      jsondecode(c.json).cluster == "shipgate-${var.environment.name}" &&
      jsondecode(c.json).service == k &&
      jsondecode(c.json).containerName == k &&
      jsondecode(c.json).containerPort == 8080 &&
      jsondecode(c.json).smokePath == "/readyz" &&
      jsondecode(c.json).repository == k &&
      length(jsondecode(c.json).alarms) == 3
    ])
    error_message = "A contract field does not describe its service."
  }

  assert {
    condition     = jsondecode(module.contract["api-gateway"].json).smokeUrl == "http://shipgate-test-1234567890.us-east-1.elb.amazonaws.com"
    error_message = "The catch-all service's smoke URL must be the load balancer's URL."
  }

  assert {
    condition     = jsondecode(module.contract["inventory-app"].json).smokeUrl == "http://shipgate-test-1234567890.us-east-1.elb.amazonaws.com/inventory-app"
    error_message = "A prefixed service's smoke URL must be the load balancer's URL plus its prefix."
  }

  assert {
    condition = (
      jsondecode(module.contract["billing-app"].json).strategy == (var.environment.name == "production" ? "CANARY" : "ROLLING") &&
      jsondecode(module.contract["api-gateway"].json).strategy == "ROLLING" &&
      jsondecode(module.contract["inventory-app"].json).strategy == "ROLLING"
    )
    error_message = "Strategies must match shipgate.config.yaml: billing-app CANARY in production, ROLLING otherwise."
  }

  assert {
    condition     = var.environment != "production" || module.alb.services["billing-app"].alternate_target_group_arn != null
    error_message = "The production canary needs a second target group."
  }

  assert {
    condition     = module.alb.internal == (var.environment.name == "production") && (module.alb.public_entry_dns_name != null) == (var.environment.name == "production")
    error_message = "The load balancer is internal (behind a public entry) exactly where a service shifts traffic with ECS: the smoke check reaches its test listener inside the VPC."
  }

  assert {
    condition     = module.smoke_check.subnet_ids_parameter == "/shipgate/${var.environment.name}/smoke-check/subnet-ids" && module.smoke_check.security_group_id_parameter == "/shipgate/${var.environment.name}/smoke-check/security-group-id"
    error_message = "The smoke check's subnets and security group are published where Shipgate's stack reads them."
  }

  assert {
    condition     = alltrue([for k, c in module.contract : jsondecode(c.json).codeDeploy == null])
    error_message = "No service uses CodeDeploy here: codeDeploy must be null."
  }
}

run "codedeploy_option" {
  command = apply

  variables {
    environment = merge(var.environment, {
      services = {
        "api-gateway" = {
          repository        = "api-gateway"
          priority          = 100
          strategy          = "CODEDEPLOY"
          codedeploy_config = "CodeDeployDefault.ECSLinear10PercentEvery1Minutes"
          listener_port     = 8081
        }
      }
      databases = {}
      rabbitmq  = null
    })
  }

  assert {
    condition     = jsondecode(module.contract["api-gateway"].json).strategy == "CODEDEPLOY"
    error_message = "The contract must announce CODEDEPLOY."
  }

  assert {
    condition = jsondecode(module.contract["api-gateway"].json).codeDeploy == {
      application      = "shipgate-${var.environment.name}-api-gateway"
      deploymentGroup  = "shipgate-${var.environment.name}-api-gateway"
      deploymentConfig = "CodeDeployDefault.ECSLinear10PercentEvery1Minutes"
    }
    error_message = "The contract must name the CodeDeploy application, group and config."
  }

  assert {
    condition     = length(module.service["api-gateway"].target_group_names) == 2 && module.alb.codedeploy["api-gateway"].test_listener_arn != null && jsondecode(module.contract["api-gateway"].json).blueGreen == null
    error_message = "CODEDEPLOY needs a second target group and a test listener of its own (and no ECS blueGreen)."
  }

  assert {
    condition     = jsondecode(module.contract["api-gateway"].json).smokeUrl == "http://shipgate-test-1234567890.us-east-1.elb.amazonaws.com:8081"
    error_message = "A CodeDeploy service is reached on its own listener."
  }
}

run "ec2_capacity" {
  command = apply

  variables {
    environment = merge(var.environment, { cluster_capacity = "EC2" })
  }

  assert {
    condition     = module.cluster.capacity == "EC2" && module.cluster.requires_compatibilities == ["EC2"]
    error_message = "EC2 capacity must make task definitions EC2-compatible."
  }

  assert {
    condition     = contains(keys(module.network.vpc_endpoint_ids), "ecs-agent")
    error_message = "EC2 container instances need the ECS agent endpoint when there is no NAT gateway."
  }

  assert {
    condition     = length(module.cluster.capacity_provider_strategy) == 1
    error_message = "EC2 capacity must give services the EC2 capacity provider."
  }
}

run "canary_with_a_smoke_check_hook" {
  command = apply

  variables {
    environment = merge(var.environment, {
      services = {
        "billing-app" = {
          repository                  = "billing-app"
          path_prefix                 = "/billing-app"
          priority                    = 20
          strategy                    = "CANARY"
          canary_percent              = 10
          canary_bake_time_in_minutes = 5
          lifecycle_hooks = [{
            hook_target_arn  = "arn:aws:lambda:us-east-1:123456789012:function:shipgate-smoke-check"
            lifecycle_stages = ["POST_TEST_TRAFFIC_SHIFT"]
          }]
        }
      }
      databases = {}
      rabbitmq  = null
    })
  }

  assert {
    condition = jsondecode(module.contract["billing-app"].json).lifecycleHooks == [{
      hookTargetArn   = "arn:aws:lambda:us-east-1:123456789012:function:shipgate-smoke-check"
      roleArn         = "arn:aws:iam::123456789012:role/shipgate-test"
      lifecycleStages = ["POST_TEST_TRAFFIC_SHIFT"]
    }]
    error_message = "The contract must publish the hook, the role ECS invokes it with and its stages."
  }
}

run "hooks_refused_for_rolling" {
  command = plan

  variables {
    environment = merge(var.environment, {
      services = {
        "api-gateway" = {
          repository = "api-gateway"
          priority   = 100
          lifecycle_hooks = [{
            hook_target_arn  = "arn:aws:lambda:us-east-1:123456789012:function:shipgate-smoke-check"
            lifecycle_stages = ["POST_TEST_TRAFFIC_SHIFT"]
          }]
        }
      }
      databases = {}
      rabbitmq  = null
    })
  }

  expect_failures = [var.environment]
}
