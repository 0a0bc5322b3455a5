# SPDX-License-Identifier: MIT
# Table-level behaviours DynamoDB documents for CreateTable, UpdateTable,
# DescribeTable and DeleteTable that eddy once got wrong: the table settings
# (deletion protection, table class, encryption, on-demand caps) and how they
# survive a restart, the refusal of a throughput "change" to the same values,
# and CreateTable's exact validation messages. Requests go raw, since
# Debian's botocore predates some of these members.
from ddbtest import call, ok, refusal

PPR_HASH = {
    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    "BillingMode": "PAY_PER_REQUEST",
}


def create(e, name, **extra):
    return ok(e, "CreateTable", {"TableName": name, **PPR_HASH, **extra})["TableDescription"]


def describe(e, name):
    return ok(e, "DescribeTable", {"TableName": name})["Table"]


# ---- table settings -------------------------------------------------------------


def test_settings_default_to_unprotected_standard_and_undescribed(eddy):
    create(eddy, "plain")
    t = describe(eddy, "plain")
    assert t["DeletionProtectionEnabled"] is False
    assert t.get("TableClassSummary", {"TableClass": "STANDARD"})["TableClass"] == "STANDARD"
    assert "SSEDescription" not in t
    assert "OnDemandThroughput" not in t


def test_create_settings_round_trip_through_describe(eddy):
    created = create(eddy, "cfg", DeletionProtectionEnabled=True,
                     TableClass="STANDARD_INFREQUENT_ACCESS",
                     SSESpecification={"Enabled": True},
                     OnDemandThroughput={"MaxReadRequestUnits": 10, "MaxWriteRequestUnits": 5})
    for t in (created, describe(eddy, "cfg")):
        assert t["DeletionProtectionEnabled"] is True
        assert t["TableClassSummary"]["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
        assert t["SSEDescription"]["Status"] == "ENABLED"
        assert t["SSEDescription"]["SSEType"] == "KMS"
        assert t["SSEDescription"]["KMSMasterKeyArn"].startswith("arn:aws:kms:us-east-1:")
        assert t["OnDemandThroughput"] == {"MaxReadRequestUnits": 10, "MaxWriteRequestUnits": 5}


def test_settings_survive_a_restart(start_eddy):
    e = start_eddy()
    create(e, "kept", DeletionProtectionEnabled=True, TableClass="STANDARD_INFREQUENT_ACCESS",
           OnDemandThroughput={"MaxReadRequestUnits": 7, "MaxWriteRequestUnits": 3})
    ok(e, "UpdateTable", {"TableName": "kept", "SSESpecification": {"Enabled": True}})
    before = describe(e, "kept")
    e.stop()
    e2 = start_eddy(data_dir=e.data_dir)
    after = describe(e2, "kept")
    for k in ("DeletionProtectionEnabled", "TableClassSummary", "SSEDescription",
              "OnDemandThroughput"):
        assert after[k] == before[k]
    assert "protected against deletion" in refusal(e2, "DeleteTable", {"TableName": "kept"})


def test_update_table_changes_each_setting(eddy):
    create(eddy, "upd", OnDemandThroughput={"MaxReadRequestUnits": 10, "MaxWriteRequestUnits": 5})
    ok(eddy, "UpdateTable", {"TableName": "upd", "DeletionProtectionEnabled": True})
    ok(eddy, "UpdateTable", {"TableName": "upd", "TableClass": "STANDARD_INFREQUENT_ACCESS"})
    out = ok(eddy, "UpdateTable", {"TableName": "upd", "OnDemandThroughput": {
        "MaxReadRequestUnits": 20, "MaxWriteRequestUnits": 15}})
    assert out["TableDescription"]["OnDemandThroughput"] == {
        "MaxReadRequestUnits": 20, "MaxWriteRequestUnits": 15}
    t = describe(eddy, "upd")
    assert t["DeletionProtectionEnabled"] is True
    assert t["TableClassSummary"]["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    assert "LastUpdateDateTime" in t["TableClassSummary"]
    assert t["OnDemandThroughput"] == {"MaxReadRequestUnits": 20, "MaxWriteRequestUnits": 15}


def test_update_table_on_demand_cap_changes_only_the_named_cap(eddy):
    create(eddy, "cap", OnDemandThroughput={"MaxReadRequestUnits": 10, "MaxWriteRequestUnits": 5})
    ok(eddy, "UpdateTable", {"TableName": "cap",
                             "OnDemandThroughput": {"MaxWriteRequestUnits": 8}})
    assert describe(eddy, "cap")["OnDemandThroughput"] == {
        "MaxReadRequestUnits": 10, "MaxWriteRequestUnits": 8}


def test_bad_setting_values_are_refused(eddy):
    msg = refusal(eddy, "CreateTable", {"TableName": "badcls", **PPR_HASH, "TableClass": "COLD"})
    assert "Value 'COLD' at 'tableClass'" in msg
    refusal(eddy, "CreateTable", {"TableName": "badodt", **PPR_HASH,
                                  "OnDemandThroughput": {"MaxReadRequestUnits": 0}})
    status, out = call(eddy, "DescribeTable", {"TableName": "badcls"})
    assert status == 400


def test_deletion_protection_blocks_delete_until_disabled(eddy):
    create(eddy, "prot", DeletionProtectionEnabled=True)
    msg = refusal(eddy, "DeleteTable", {"TableName": "prot"})
    assert msg == ("Resource cannot be deleted as it is currently protected against deletion. "
                   "Disable deletion protection first.")
    assert describe(eddy, "prot")["TableStatus"] == "ACTIVE"
    ok(eddy, "UpdateTable", {"TableName": "prot", "DeletionProtectionEnabled": False})
    out = ok(eddy, "DeleteTable", {"TableName": "prot"})
    assert out["TableDescription"]["TableName"] == "prot"
    refusal(eddy, "DescribeTable", {"TableName": "prot"}, "ResourceNotFoundException")


def test_sse_disable_returns_to_the_undescribed_owned_key(eddy):
    create(eddy, "sse", SSESpecification={"Enabled": True, "KMSMasterKeyId": "alias/mine"})
    assert describe(eddy, "sse")["SSEDescription"]["KMSMasterKeyArn"].endswith("key/alias/mine")
    ok(eddy, "UpdateTable", {"TableName": "sse", "SSESpecification": {"Enabled": False}})
    assert "SSEDescription" not in describe(eddy, "sse")


# ---- UpdateTable throughput -------------------------------------------------------


def test_same_provisioned_throughput_is_not_a_change(eddy):
    ok(eddy, "CreateTable", {"TableName": "prov", **{k: v for k, v in PPR_HASH.items()
                                                     if k != "BillingMode"},
                             "ProvisionedThroughput": {"ReadCapacityUnits": 5,
                                                       "WriteCapacityUnits": 5}})
    msg = refusal(eddy, "UpdateTable", {"TableName": "prov", "BillingMode": "PROVISIONED",
                                        "ProvisionedThroughput": {"ReadCapacityUnits": 5,
                                                                  "WriteCapacityUnits": 5}})
    assert msg == ("The provisioned throughput for the table will not change. The requested "
                   "value equals the current value. Current ReadCapacityUnits provisioned for "
                   "the table: 5. Requested ReadCapacityUnits: 5. Current WriteCapacityUnits "
                   "provisioned for the table: 5. Requested WriteCapacityUnits: 5. Refer to the "
                   "Amazon DynamoDB Developer Guide for current limits and how to request higher "
                   "limits.")
    ok(eddy, "UpdateTable", {"TableName": "prov", "ProvisionedThroughput": {
        "ReadCapacityUnits": 5, "WriteCapacityUnits": 6}})
    # On-demand to on-demand is accepted as a no-op.
    ok(eddy, "UpdateTable", {"TableName": "prov", "BillingMode": "PAY_PER_REQUEST"})
    ok(eddy, "UpdateTable", {"TableName": "prov", "BillingMode": "PAY_PER_REQUEST"})


# ---- CreateTable validation messages ------------------------------------------------


def test_create_table_without_a_name_says_the_parameter_is_required(eddy):
    msg = refusal(eddy, "CreateTable", {k: v for k, v in PPR_HASH.items()})
    assert msg == "The parameter 'TableName' is required but was not present in the request"


def test_key_schema_naming_one_attribute_twice_is_an_undefined_key(eddy):
    msg = refusal(eddy, "CreateTable", {
        "TableName": "twice", "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                      {"AttributeName": "pk", "KeyType": "RANGE"}]})
    assert msg == "Invalid KeySchema: Some index key attribute have no definition"


def test_three_key_elements_are_echoed_in_the_length_error(eddy):
    names = ["pk", "sk", "xk"]
    msg = refusal(eddy, "CreateTable", {
        "TableName": "three", "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": "S"} for n in names],
        "KeySchema": [{"AttributeName": n, "KeyType": t}
                      for n, t in zip(names, ["HASH", "RANGE", "RANGE"])]})
    assert msg == ("1 validation error detected: Value '[KeySchemaElement(attributeName=pk, "
                   "keyType=HASH), KeySchemaElement(attributeName=sk, keyType=RANGE), "
                   "KeySchemaElement(attributeName=xk, keyType=RANGE)]' at 'keySchema' failed to "
                   "satisfy constraint: Member must have length less than or equal to 2")


def test_disabled_stream_with_a_view_type_on_create(eddy):
    msg = refusal(eddy, "CreateTable", {"TableName": "nostream", **PPR_HASH, "StreamSpecification": {
        "StreamEnabled": False, "StreamViewType": "NEW_AND_OLD_IMAGES"}})
    assert msg == ("One or more parameter values were invalid: Table is being created with a "
                   "stream disabled, UpdateViewType should not be specified")
    create(eddy, "streamed")
    msg = refusal(eddy, "UpdateTable", {"TableName": "streamed", "StreamSpecification": {
        "StreamEnabled": False, "StreamViewType": "NEW_IMAGE"}})
    assert msg == ("One or more parameter values were invalid: You cannot modify stream view "
                   "type while disabling a stream")


def test_short_index_names_are_reported_together_gsi_first(eddy):
    def lsi(n):
        return {"IndexName": n, "Projection": {"ProjectionType": "ALL"},
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                              {"AttributeName": "lr", "KeyType": "RANGE"}]}

    def gsi(n):
        return {"IndexName": n, "Projection": {"ProjectionType": "ALL"},
                "KeySchema": [{"AttributeName": "gh", "KeyType": "HASH"}]}

    def short(n, member):
        return (f"Value '{n}' at '{member}.1.member.indexName' failed to satisfy constraint: "
                "Member must have length greater than or equal to 3")

    base = {"TableName": "ixnames", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                     {"AttributeName": "sk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                          {"AttributeName": "sk", "KeyType": "RANGE"}]}
    for ln, gn in (("l1", "g1"), ("aa", "zz")):
        msg = refusal(eddy, "CreateTable", {**base, "LocalSecondaryIndexes": [lsi(ln)],
                                            "GlobalSecondaryIndexes": [gsi(gn)]})
        assert msg == (f"2 validation errors detected: {short(gn, 'globalSecondaryIndexes')}; "
                       f"{short(ln, 'localSecondaryIndexes')}")


# ---- UpdateTable index additions ------------------------------------------------------


def test_new_index_keys_must_be_declared_in_the_request_itself(eddy):
    ok(eddy, "CreateTable", {
        "TableName": "gix", "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                 {"AttributeName": "sk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                      {"AttributeName": "sk", "KeyType": "RANGE"}]})

    def add(defs, keys):
        return {"TableName": "gix", "AttributeDefinitions": defs, "GlobalSecondaryIndexUpdates": [
            {"Create": {"IndexName": "byg", "Projection": {"ProjectionType": "KEYS_ONLY"},
                        "KeySchema": [{"AttributeName": n, "KeyType": t} for n, t in keys]}}]}

    # pk is a table attribute, but this request does not declare it.
    msg = refusal(eddy, "UpdateTable", add([{"AttributeName": "g3", "AttributeType": "S"}],
                                           [("pk", "HASH"), ("g3", "RANGE")]))
    assert "Some index key attributes are not defined in AttributeDefinitions" in msg
    assert "GlobalSecondaryIndexes" not in describe(eddy, "gix")
    out = ok(eddy, "UpdateTable", add([{"AttributeName": "pk", "AttributeType": "S"},
                                       {"AttributeName": "g3", "AttributeType": "S"}],
                                      [("pk", "HASH"), ("g3", "RANGE")]))
    assert [g["IndexName"] for g in out["TableDescription"]["GlobalSecondaryIndexes"]] == ["byg"]


def test_sse_enabled_again_keeps_its_key(eddy):
    create(eddy, "ssekeep", SSESpecification={"Enabled": True})
    arn = describe(eddy, "ssekeep")["SSEDescription"]["KMSMasterKeyArn"]
    ok(eddy, "UpdateTable", {"TableName": "ssekeep", "SSESpecification": {"Enabled": True}})
    assert describe(eddy, "ssekeep")["SSEDescription"]["KMSMasterKeyArn"] == arn


def test_key_schema_messages_list_the_attribute_definitions(eddy):
    # DynamoDB names the definitions it was given, not a placeholder.
    defs = [{"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"}]
    msg = refusal(eddy, "CreateTable", {
        "TableName": "undef", "BillingMode": "PAY_PER_REQUEST", "AttributeDefinitions": defs,
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                      {"AttributeName": "zz", "KeyType": "RANGE"}]})
    assert msg.endswith("Keys: [zz], AttributeDefinitions: [pk, sk]"), msg
    msg = refusal(eddy, "CreateTable", {
        "TableName": "unused", "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": defs + [{"AttributeName": "x", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "GlobalSecondaryIndexes": [{"IndexName": "gsi",
                                    "KeySchema": [{"AttributeName": "sk", "KeyType": "HASH"}],
                                    "Projection": {"ProjectionType": "ALL"}}]})
    assert msg.endswith("Some AttributeDefinitions are not used. AttributeDefinitions: "
                        "[pk, sk, x], keys used: [pk, sk]"), msg
    create(eddy, "base")
    msg = refusal(eddy, "UpdateTable", {
        "TableName": "base", "AttributeDefinitions": [{"AttributeName": "g", "AttributeType": "S"}],
        "GlobalSecondaryIndexUpdates": [{"Create": {
            "IndexName": "gsi", "KeySchema": [{"AttributeName": "h", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"}}}]})
    assert msg.endswith("Keys: [h], AttributeDefinitions: [g]"), msg
