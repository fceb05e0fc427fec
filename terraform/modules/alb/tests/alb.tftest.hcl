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

  test_ingress_security_groups = { smoke_check = "sg-0123456789abcdef0" }
}

run "test_listener_from_the_smoke_check_only" {
  command = plan

  assert {
    condition     = length(aws_lb_listener.test) == 1 && aws_lb_listener.test[0].port == 8443 && aws_lb_listener.test[0].protocol == "HTTP"
    error_message = "A test listener is created on test_listener_port when asked for (plain HTTP, inside the VPC)."
  }

  assert {
    condition     = keys(aws_vpc_security_group_ingress_rule.test) == ["smoke_check"] && aws_vpc_security_group_ingress_rule.test["smoke_check"].referenced_security_group_id == "sg-0123456789abcdef0" && aws_vpc_security_group_ingress_rule.test["smoke_check"].cidr_ipv4 == null
    error_message = "Only the smoke check's security group reaches the test listener, by reference."
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
    condition     = output.test_url == "http://shipgate-test-1234567890.us-east-1.elb.amazonaws.com:8443"
    error_message = "The test listener's URL is the load balancer's own name (private addresses when internal), never the public domain."
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

run "internal_with_a_public_entry" {
  command = apply

  variables {
    internal     = true
    public_entry = { subnet_ids = ["subnet-0123456789abcdef2", "subnet-0123456789abcdef3"] }
  }

  assert {
    condition     = aws_lb.this.internal && length(aws_lb.public_entry) == 1 && !aws_lb.public_entry[0].internal && aws_lb.public_entry[0].load_balancer_type == "network"
    error_message = "An internal load balancer with public_entry gets an internet-facing network load balancer in front."
  }

  assert {
    condition     = keys(aws_lb_target_group.public_entry) == ["http"] && aws_lb_target_group.public_entry["http"].target_type == "alb"
    error_message = "The entry forwards the production port to the load balancer itself."
  }
}

run "public_entry_needs_internal" {
  command = plan

  variables {
    public_entry = { subnet_ids = ["subnet-0123456789abcdef2"] }
  }

  expect_failures = [var.public_entry]
}
