# Plans and "applies" the whole environment against mocked providers (no AWS
# account needed) and checks the deploy contracts Shipgate will read.
# Run: terraform init -backend=false && terraform test

mock_provider "aws" {
  source = "./tests"
}

mock_provider "random" {}

variables {
  bootstrap_image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/ecr-public/nginx/nginx:stable-alpine"
}

run "contracts" {
  command = apply

  assert {
    condition     = length(module.contract) == 3
    error_message = "Expected one contract per service."
  }

  assert {
    condition = alltrue([for k, c in module.contract :
      join(",", sort(keys(jsondecode(c.json)))) == "alarms,cluster,codeDeploy,containerName,containerPort,repository,service,smokePath,smokeUrl,strategy,version"
    ])
    error_message = "Contract keys differ from deployContractSchema (lambdas/shared/contract.ts)."
  }

  assert {
    condition     = alltrue([for k, c in module.contract : c.name == "/shipgate/${var.environment}/services/${k}"])
    error_message = "Contracts must live at /shipgate/<environment>/services/<service>."
  }

  assert {
    condition = alltrue([for k, c in module.contract :
      jsondecode(c.json).version == 1 &&
      jsondecode(c.json).cluster == "shipgate-${var.environment}" &&
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
      jsondecode(module.contract["billing-app"].json).strategy == (var.environment == "production" ? "CANARY" : "ROLLING") &&
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
    condition     = alltrue([for k, c in module.contract : jsondecode(c.json).codeDeploy == null])
    error_message = "No service uses CodeDeploy here: codeDeploy must be null."
  }
}

run "codedeploy_option" {
  command = apply

  variables {
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
  }

  assert {
    condition     = jsondecode(module.contract["api-gateway"].json).strategy == "CODEDEPLOY"
    error_message = "The contract must announce CODEDEPLOY."
  }

  assert {
    condition = jsondecode(module.contract["api-gateway"].json).codeDeploy == {
      application      = "shipgate-${var.environment}-api-gateway"
      deploymentGroup  = "shipgate-${var.environment}-api-gateway"
      deploymentConfig = "CodeDeployDefault.ECSLinear10PercentEvery1Minutes"
    }
    error_message = "The contract must name the CodeDeploy application, group and config."
  }

  assert {
    condition     = module.alb.services["api-gateway"].alternate_target_group_arn != null && module.alb.services["api-gateway"].test_listener_arn != null
    error_message = "CODEDEPLOY needs a second target group and a test listener."
  }

  assert {
    condition     = jsondecode(module.contract["api-gateway"].json).smokeUrl == "http://shipgate-test-1234567890.us-east-1.elb.amazonaws.com:8081"
    error_message = "A CodeDeploy service is reached on its own listener."
  }
}

run "ec2_capacity" {
  command = apply

  variables {
    cluster_capacity = "EC2"
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
