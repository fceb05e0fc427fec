# Listeners, security group and DNS (mocked AWS, no account). Target groups and
# listener rules belong to each service (ecs-service module).

mock_provider "aws" {
  mock_resource "aws_lb" {
    defaults = {
      arn        = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shipgate-test/0123456789abcdef"
      dns_name   = "shipgate-test-1234567890.us-east-1.elb.amazonaws.com"
      arn_suffix = "app/shipgate-test/0123456789abcdef"
      zone_id    = "Z35SXDOTRQ7X7K"
    }
  }
  mock_resource "aws_lb_listener" {
    defaults = {
      arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shipgate-test/0123456789abcdef/0123456789abcdef"
    }
  }
}

variables {
  name           = "shipgate-staging"
  vpc_id         = "vpc-0123456789abcdef0"
  vpc_cidr_block = "10.10.0.0/16"
  subnet_ids     = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
  test_listener  = true
}

run "test_listener_from_the_vpc_only" {
  command = plan

  assert {
    condition     = length(aws_lb_listener.test) == 1 && aws_lb_listener.test[0].port == 8443
    error_message = "A test listener is created on test_listener_port when asked for."
  }

  assert {
    condition     = keys(aws_vpc_security_group_ingress_rule.test) == ["10.10.0.0/16"]
    error_message = "Only the VPC reaches the test listener by default."
  }

  assert {
    condition     = length(aws_route53_record.this) == 0
    error_message = "No hosted zone, no DNS record."
  }
}

run "no_test_listener_unless_asked" {
  command = plan

  variables {
    test_listener = false
  }

  assert {
    condition     = length(aws_lb_listener.test) == 0 && length(aws_vpc_security_group_ingress_rule.test) == 0
    error_message = "Without a blue/green-family service there is no test listener and no port open for it."
  }
}

run "route53_when_zone_given" {
  command = apply

  variables {
    route53_zone_id = "Z0123456789ABCDEFGHIJ"
    domain_name     = "staging.example.com"
  }

  assert {
    condition     = length(aws_route53_record.this) == 1 && output.url == "http://staging.example.com"
    error_message = "With a hosted zone, the record is created and the URL uses the domain."
  }

  assert {
    condition     = output.test_url == "http://staging.example.com:8443"
    error_message = "The test listener's URL uses the domain and the test port."
  }
}

run "alb_dns_name_without_zone" {
  command = apply

  assert {
    condition     = output.url == "http://shipgate-test-1234567890.us-east-1.elb.amazonaws.com"
    error_message = "Without a hosted zone, the URL is the load balancer's DNS name."
  }
}

run "codedeploy_service_gets_its_own_listeners" {
  command = apply

  variables {
    test_listener = false
    codedeploy_services = {
      "api-gateway" = { listener_port = 8081, target_group_arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shipgate-staging-api-gateway-1/0123456789abcdef" }
    }
  }

  assert {
    condition     = aws_lb_listener.codedeploy["api-gateway"].port == 8081 && aws_lb_listener.codedeploy_test["api-gateway"].port == 8082
    error_message = "A CodeDeploy service gets a production and a test listener of its own."
  }

  assert {
    condition     = aws_lb_listener.codedeploy["api-gateway"].default_action[0].target_group_arn == "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shipgate-staging-api-gateway-1/0123456789abcdef"
    error_message = "A CodeDeploy service's listeners forward to its first target group until CodeDeploy takes over."
  }

  assert {
    condition     = length(aws_lb_listener.test) == 0 && output.codedeploy["api-gateway"].url == "http://shipgate-test-1234567890.us-east-1.elb.amazonaws.com:8081"
    error_message = "No shared test listener is needed; a CodeDeploy service is reached on its own port."
  }
}

run "codedeploy_port_must_be_its_own" {
  command = plan

  variables {
    codedeploy_services = {
      "api-gateway" = { listener_port = 8443, target_group_arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shipgate-staging-api-gateway-1/0123456789abcdef" }
    }
  }

  expect_failures = [var.codedeploy_services]
}
