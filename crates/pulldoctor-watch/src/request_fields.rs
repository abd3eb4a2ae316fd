//! Where CloudTrail records, in an event's `requestParameters`, the ids of what a
//! network-changing call touches: what the EventBridge rule matches to scope itself to the
//! cluster's VPCs.
//!
//! Every name of `pulldoctor_diagnosis::NETWORK_CHANGES` has an entry (a test keeps it so: a call
//! added there cannot be left out of the alarms). Calls of EC2's older query API are recorded with
//! camelCase parameters (`routeTableId`); newer ones inside their request structure
//! (`DeleteNatGatewayRequest.NatGatewayId`); both forms are matched where a call could be recorded
//! either way. Some calls name only an id that says nothing of its VPC (`DisassociateRouteTable`
//! names the association): the rule lists the ids the VPCs hold now, so a resource created after
//! the rule is not covered until the rule is generated again.

/// What kind of id a request field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum IdKind {
    Vpc,
    Subnet,
    RouteTable,
    RouteTableAssociation,
    NatGateway,
    InternetGateway,
    EgressOnlyInternetGateway,
    SecurityGroup,
    NetworkAcl,
    VpcEndpoint,
}

/// The request fields (dotted paths under `requestParameters`) that name the resources a call
/// changes, with the kind of id each holds; `None` for a call this table does not know.
pub fn fields(call: &str) -> Option<&'static [(&'static str, IdKind)]> {
    use IdKind::*;
    Some(match call {
        "DisassociateRouteTable" => &[("associationId", RouteTableAssociation)],
        "ReplaceRouteTableAssociation" => &[("associationId", RouteTableAssociation), ("routeTableId", RouteTable)],
        "AssociateRouteTable" => &[("routeTableId", RouteTable), ("subnetId", Subnet)],
        "DeleteRoute" | "ReplaceRoute" | "CreateRoute" | "DeleteRouteTable" => &[("routeTableId", RouteTable)],
        "DeleteNatGateway" => &[("DeleteNatGatewayRequest.NatGatewayId", NatGateway), ("natGatewayId", NatGateway)],
        "DetachInternetGateway" => &[("internetGatewayId", InternetGateway), ("vpcId", Vpc)],
        "DeleteInternetGateway" => &[("internetGatewayId", InternetGateway)],
        "DeleteEgressOnlyInternetGateway" => &[
            ("DeleteEgressOnlyInternetGatewayRequest.EgressOnlyInternetGatewayId", EgressOnlyInternetGateway),
            ("egressOnlyInternetGatewayId", EgressOnlyInternetGateway),
        ],
        "RevokeSecurityGroupEgress" => &[("groupId", SecurityGroup)],
        "ModifySecurityGroupRules" => &[("ModifySecurityGroupRulesRequest.GroupId", SecurityGroup), ("groupId", SecurityGroup)],
        "CreateNetworkAclEntry" | "ReplaceNetworkAclEntry" | "DeleteNetworkAclEntry" | "ReplaceNetworkAclAssociation" => {
            &[("networkAclId", NetworkAcl)]
        }
        "CreateVpcEndpoint" => &[("CreateVpcEndpointRequest.VpcId", Vpc), ("vpcId", Vpc)],
        "ModifyVpcEndpoint" => &[("ModifyVpcEndpointRequest.VpcEndpointId", VpcEndpoint), ("vpcEndpointId", VpcEndpoint)],
        "DeleteVpcEndpoints" => &[("DeleteVpcEndpointsRequest.VpcEndpointId.content", VpcEndpoint), ("vpcEndpointId", VpcEndpoint)],
        "ModifyVpcAttribute" | "AssociateDhcpOptions" => &[("vpcId", Vpc)],
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    /// One source of truth: every call the diagnosis' CloudTrail timeline names is one the alarm
    /// can scope.
    #[test]
    fn every_network_change_has_its_fields() {
        for call in pulldoctor_diagnosis::NETWORK_CHANGES {
            assert!(super::fields(call).is_some(), "{call}: add where CloudTrail records its resource ids");
        }
    }
}
