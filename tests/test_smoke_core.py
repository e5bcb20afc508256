def test_me_with_token(client, accounts):
    response = client.get("/api/v1/me", headers=accounts["viewer"].headers)
    assert response.status_code == 200
    assert response.json["role"] == "viewer"
