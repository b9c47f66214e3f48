package awstest

// documentedMembers is what EC2's DescribeInstances reference lists for an
// instance beyond what the fake otherwise sends (instanceId, instanceState,
// platformDetails, tagSet), with the values of its example response: a
// real page of 1,000 instances is megabytes, and a reader's cost on such a
// page is only seen with them (Server.DocumentedItems).
const documentedMembers = `<imageId>ami-0abcdef1234567890</imageId>` +
	`<privateDnsName>ip-10-0-0-157.us-east-2.compute.internal</privateDnsName>` +
	`<dnsName>ec2-34-253-223-13.us-east-2.compute.amazonaws.com</dnsName><reason/>` +
	`<keyName>my-key-pair</keyName><amiLaunchIndex>0</amiLaunchIndex><productCodes/>` +
	`<instanceType>t3.micro</instanceType><launchTime>2022-11-15T10:48:59.000Z</launchTime>` +
	`<placement><availabilityZone>us-east-2a</availabilityZone><groupName/><tenancy>default</tenancy></placement>` +
	`<monitoring><state>disabled</state></monitoring><subnetId>subnet-04a636d18e83cfacb</subnetId>` +
	`<vpcId>vpc-1234567890abcdef0</vpcId><privateIpAddress>10.0.0.157</privateIpAddress>` +
	`<ipAddress>34.253.223.13</ipAddress><sourceDestCheck>true</sourceDestCheck>` +
	`<groupSet><item><groupId>sg-0598c7d356eba48d7</groupId><groupName>launch-wizard-1</groupName></item></groupSet>` +
	`<architecture>x86_64</architecture><rootDeviceType>ebs</rootDeviceType><rootDeviceName>/dev/xvda</rootDeviceName>` +
	`<blockDeviceMapping><item><deviceName>/dev/xvda</deviceName><ebs><volumeId>vol-02e6ccdca7de29cf2</volumeId>` +
	`<status>attached</status><attachTime>2022-11-15T10:49:00.000Z</attachTime><deleteOnTermination>true</deleteOnTermination>` +
	`</ebs></item></blockDeviceMapping><virtualizationType>hvm</virtualizationType>` +
	`<clientToken>1234abcd-1234-abcd-1234-d46a8903e9bc</clientToken><hypervisor>xen</hypervisor>` +
	`<networkInterfaceSet><item><networkInterfaceId>eni-0e3e0a1c7b9d1f2a3</networkInterfaceId>` +
	`<subnetId>subnet-04a636d18e83cfacb</subnetId><vpcId>vpc-1234567890abcdef0</vpcId><description/>` +
	`<ownerId>111111111111</ownerId><status>in-use</status><macAddress>02:4c:b2:3c:d8:11</macAddress>` +
	`<privateIpAddress>10.0.0.157</privateIpAddress><privateDnsName>ip-10-0-0-157.us-east-2.compute.internal</privateDnsName>` +
	`<sourceDestCheck>true</sourceDestCheck>` +
	`<groupSet><item><groupId>sg-0598c7d356eba48d7</groupId><groupName>launch-wizard-1</groupName></item></groupSet>` +
	`<attachment><attachmentId>eni-attach-0f6d1a2b3c4d5e6f7</attachmentId><deviceIndex>0</deviceIndex>` +
	`<status>attached</status><attachTime>2022-11-15T10:48:59.000Z</attachTime><deleteOnTermination>true</deleteOnTermination>` +
	`<networkCardIndex>0</networkCardIndex></attachment>` +
	`<association><publicIp>34.253.223.13</publicIp><publicDnsName>ec2-34-253-223-13.us-east-2.compute.amazonaws.com</publicDnsName>` +
	`<ipOwnerId>amazon</ipOwnerId></association>` +
	`<privateIpAddressesSet><item><privateIpAddress>10.0.0.157</privateIpAddress>` +
	`<privateDnsName>ip-10-0-0-157.us-east-2.compute.internal</privateDnsName><primary>true</primary>` +
	`<association><publicIp>34.253.223.13</publicIp><publicDnsName>ec2-34-253-223-13.us-east-2.compute.amazonaws.com</publicDnsName>` +
	`<ipOwnerId>amazon</ipOwnerId></association></item></privateIpAddressesSet><ipv6AddressesSet/>` +
	`<interfaceType>interface</interfaceType></item></networkInterfaceSet>` +
	`<iamInstanceProfile><arn>arn:aws:iam::111111111111:instance-profile/AmazonSSMRoleForInstancesQuickSetup</arn>` +
	`<id>AIPAJ7EXAMPLEEXAMPLE</id></iamInstanceProfile>` +
	`<ebsOptimized>true</ebsOptimized><enaSupport>true</enaSupport>` +
	`<cpuOptions><coreCount>1</coreCount><threadsPerCore>2</threadsPerCore></cpuOptions>` +
	`<capacityReservationSpecification><capacityReservationPreference>open</capacityReservationPreference></capacityReservationSpecification>` +
	`<hibernationOptions><configured>false</configured></hibernationOptions>` +
	`<metadataOptions><state>applied</state><httpTokens>required</httpTokens><httpPutResponseHopLimit>2</httpPutResponseHopLimit>` +
	`<httpEndpoint>enabled</httpEndpoint><httpProtocolIpv6>disabled</httpProtocolIpv6><instanceMetadataTags>disabled</instanceMetadataTags></metadataOptions>` +
	`<enclaveOptions><enabled>false</enabled></enclaveOptions><bootMode>uefi-preferred</bootMode>` +
	`<usageOperation>RunInstances</usageOperation><usageOperationUpdateTime>2022-11-15T10:48:59.000Z</usageOperationUpdateTime>` +
	`<privateDnsNameOptions><hostnameType>ip-name</hostnameType><enableResourceNameDnsARecord>true</enableResourceNameDnsARecord>` +
	`<enableResourceNameDnsAAAARecord>false</enableResourceNameDnsAAAARecord></privateDnsNameOptions>` +
	`<maintenanceOptions><autoRecovery>default</autoRecovery></maintenanceOptions>` +
	`<currentInstanceBootMode>uefi</currentInstanceBootMode>`
