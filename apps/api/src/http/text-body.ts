/** A body of a type the JSON parser does not take, kept as text for the route to judge. */
export class TextBody {
  constructor(readonly text: string) {}
}
