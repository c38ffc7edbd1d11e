print("landlord")
